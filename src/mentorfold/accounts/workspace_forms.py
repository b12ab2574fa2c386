"""Forms of the coordinator's people workspace: mentor filters, the onboarding checklist, learner actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from mentorfold.core.forms import RecordsMultipleChoiceField
from mentorfold.programs.models import Enrollment, Site

from .models import US_STATES, GuardianLink, Language, LearnerProfile, MentorProfile


class DateInput(forms.DateInput):
    input_type = "date"


# Largest primary key a form accepts: bigger numbers are a form error, never a database overflow.
MAX_ID = 2**31 - 1


class IdChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A ModelChoiceField that treats non-numeric or out-of-range ids as an invalid choice."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > MAX_ID:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(text)


def _date_field(label: Any, example: str = "2026-09-15") -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DateInput,
        error_messages={
            "invalid": format_lazy(_("{label}: use the format {example}."), label=label, example=example),
            "required": format_lazy(
                _("{label}: enter a date, e.g. {example}."), label=label, example=example
            ),
        },
    )


def _not_in_future(form: forms.Form, field: str, label: str) -> None:
    value = form.cleaned_data.get(field)
    if value is not None and value > timezone.localdate():
        form.add_error(field, _("%(label)s: this date is in the future.") % {"label": label})


class MentorFilterForm(forms.Form):
    """GET filters of the mentors list; a bad value is a form error on that field, never a crash."""

    ACCEPTING_CHOICES = [("", _("Any")), ("yes", _("Accepting learners now")), ("no", _("Not accepting"))]

    q = forms.CharField(label=_("Name or e-mail"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + list(MentorProfile.Status.choices)
    )
    specialty = forms.CharField(label=_("Specialty"), required=False, max_length=100)
    language = IdChoiceField(
        label=_("Speaks"),
        required=False,
        queryset=Language.objects.order_by("name"),
        empty_label=_("Any language"),
        error_messages={"invalid_choice": _("Language: choose one from the list.")},
    )
    site = IdChoiceField(
        label=_("Clinic site"),
        required=False,
        queryset=Site.objects.order_by("name"),
        empty_label=_("Any site"),
        error_messages={"invalid_choice": _("Clinic site: choose one from the list.")},
    )
    accepting = forms.ChoiceField(label=_("Taking learners"), required=False, choices=ACCEPTING_CHOICES)
    clearance = forms.ChoiceField(
        label=_("Onboarding"),
        required=False,
        choices=[
            ("", _("Any")),
            ("cleared", _("Cleared to host")),
            ("not_cleared", _("Onboarding not finished")),
            ("minors", _("Cleared to host learners under 18")),
            ("expiring", _("Background check expires within 60 days")),
        ],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000, widget=forms.HiddenInput)

    def filters(self) -> dict[str, Any]:
        """The valid filters only (an invalid field is ignored and shown as an error)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            key: data.get(key)
            for key in ("q", "status", "specialty", "language", "site", "accepting", "clearance")
            if data.get(key)
        }


class OrientationForm(forms.Form):
    completed_on = _date_field(_("Orientation date"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _not_in_future(self, "completed_on", str(_("Orientation date")))
        return data


class LicenceForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Licence state"),
        choices=[("", "—")] + US_STATES,
        error_messages={
            "required": _("Licence state: choose the two-letter code, e.g. WA."),
            "invalid_choice": _("Licence state: choose the two-letter code, e.g. WA."),
        },
    )
    number = forms.CharField(
        label=_("Licence number"),
        max_length=40,
        error_messages={"required": _("Licence number: enter it as printed on the licence.")},
    )
    verified_on = _date_field(_("Verified on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _not_in_future(self, "verified_on", str(_("Verified on")))
        return data


class BackgroundCheckForm(forms.Form):
    verified_on = _date_field(_("Verified on"))
    expires_on = _date_field(_("Expires on"), example="2028-09-15")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _not_in_future(self, "verified_on", str(_("Verified on")))
        verified, expires = data.get("verified_on"), data.get("expires_on")
        if verified and expires and expires <= verified:
            self.add_error("expires_on", _("Expires on: choose a date after the day it was verified."))
        elif expires and expires < timezone.localdate():
            self.add_error("expires_on", _("Expires on: this check has expired. Record a newer check."))
        return data


class ActivateForm(forms.Form):
    """No fields: the button itself is the decision (the service re-checks the checklist)."""


class SitesForm(forms.Form):
    sites = RecordsMultipleChoiceField(
        label=_("Clinic sites where this mentor hosts learners"),
        queryset=Site.objects.filter(is_active=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class DeactivateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Reason: say why this mentor is deactivated.")},
    )


class EnrollmentDecisionForm(forms.Form):
    """Accept, waitlist or decline one of this learner's applications."""

    enrollment = IdChoiceField(
        label=_("Application"),
        queryset=Enrollment.objects.none(),
        error_messages={"invalid_choice": _("Application: choose one of this learner's applications.")},
    )
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("waitlist", _("Waitlist")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (the learner sees it; required to decline)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, learner: LearnerProfile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enrollment"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Enrollment.objects.filter(learner=learner).select_related("term__program")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "decline" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Reason: say why, so the learner knows what to do next."))
        return data


class GuardianResendForm(forms.Form):
    link = IdChoiceField(
        queryset=GuardianLink.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This guardian invitation can no longer be sent.")},
    )

    def __init__(self, *args: Any, learner: LearnerProfile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["link"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = GuardianLink.objects.filter(learner=learner, status=GuardianLink.Status.INVITED)
