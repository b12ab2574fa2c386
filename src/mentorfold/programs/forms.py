"""Forms: they parse and label input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import HALF_DAYS, Enrollment, ImportBatch, Requirement

DAY_NAMES = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
}
PART_NAMES = {"am": _("morning"), "pm": _("afternoon")}
HALF_DAY_CHOICES = [(h, format_lazy("{} {}", DAY_NAMES[h[:3]], PART_NAMES[h[4:]])) for h in HALF_DAYS]


class ApplyForm(forms.Form):
    statement = forms.CharField(
        label=_("Why do you want to take part?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=3000,
        help_text=_("A few sentences are enough."),
    )
    interests = forms.CharField(label=_("Interests"), max_length=500, required=False)
    availability = forms.MultipleChoiceField(
        label=_("When can you come?"),
        choices=HALF_DAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.CharField(label=_("Languages you speak"), max_length=200, required=False)


class SignForm(forms.Form):
    signed_name = forms.CharField(
        label=_("Type your full name to sign"), max_length=150, help_text=_("This counts as your signature.")
    )
    agree = forms.BooleanField(label=_("I have read the text above and I agree."))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, JPEG or PNG, up to 10 MB)"))
    done_on = forms.DateField(
        label=_("Date of the test or record"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    expires_on = forms.DateField(
        label=_("Expires on (if the record shows a date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    note = forms.CharField(label=_("Note to the person"), max_length=500, required=False)
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, widget=forms.HiddenInput)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("waitlist", _("Waitlist")), ("decline", _("Decline"))],
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
    status = forms.ChoiceField(
        choices=[("", "")] + Enrollment.Status.choices, required=False, widget=forms.HiddenInput
    )


class QueueFilterForm(forms.Form):
    """The review queue's filters; a bad value is a 400, never silently replaced."""

    kind = forms.ChoiceField(choices=[("", _("All"))] + Requirement.Kind.choices, required=False)
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False)


class EnrollmentFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", _("All"))] + Enrollment.Status.choices, required=False)
    term = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False)


class OptInForm(forms.Form):
    capacity = forms.IntegerField(
        label=_("Learners you can take this term"), min_value=0, max_value=30, initial=1
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing consent? (optional)"), max_length=500, required=False
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Who is in the file?"), choices=ImportBatch.Kind.choices)
    file = forms.FileField(label=_("CSV or Excel (.xlsx) file"))
