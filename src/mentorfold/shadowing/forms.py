"""Forms for slots, cancellations, verification, time corrections and anonymous patient feedback."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mentorfold.programs.models import Program, Site

from .models import PatientFeedback, Slot


class SlotForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.none(), label=_("Site"))
    program = forms.ModelChoiceField(queryset=Program.objects.none(), label=_("Program"))
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("End time"), widget=forms.TimeInput(attrs={"type": "time"}))
    capacity = forms.IntegerField(label=_("How many learners"), min_value=1, max_value=20, initial=1)
    notes = forms.CharField(
        label=_("Notes for learners"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: clinic starts 8:00, wear closed-toe shoes."),
    )
    repeat_weekly_until = forms.DateField(
        label=_("Repeat every week until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, sites: Any, programs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["program"].queryset = programs

    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.cleaned_data["day"], self.cleaned_data["start"]))

    def ends_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.cleaned_data["day"], self.cleaned_data["end"]))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class CalendarForm(forms.Form):
    """Which calendar a mentor looks at (``?view=month&date=2026-12-01``); both may be left out."""

    view = forms.ChoiceField(choices=[("week", "week"), ("month", "month")], required=False)
    date = forms.DateField(input_formats=["%Y-%m-%d"], required=False)


class FeedActionForm(forms.Form):
    """The calendar-feed page's two buttons: make a (new) address, or turn the current one off."""

    action = forms.ChoiceField(choices=[("create", "create"), ("revoke", "revoke")])


class _SlotChoiceField(forms.ModelMultipleChoiceField):
    """Slot numbers as the calendar sends them: ASCII digits only, so nothing is read as a different number."""

    def _check_values(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            for item in value:
                if not isinstance(item, str) or not re.fullmatch(r"[0-9]{1,18}", item):
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value"
                    )
        return super()._check_values(value)


class SlotsCancelForm(forms.Form):
    """The slots a mentor ticked on the calendar (only their own) and the reason learners will read."""

    slot = _SlotChoiceField(
        queryset=Slot.objects.none(),
        error_messages={
            "required": _("Choose at least one slot to cancel."),
            "invalid_pk_value": _(
                "Slots: one of the chosen values is not a slot. Reload the calendar and try again."
            ),
            "invalid_choice": _(
                "Slots: one of the chosen slots is not one of your slots. Reload the calendar and try again."
            ),
            "null_characters_not_allowed": _(
                "Slots: one of the chosen values is not a slot. Reload the calendar and try again."
            ),
        },
    )
    reason = forms.CharField(
        label=_("Reason (learners will see it)"),
        max_length=500,
        error_messages={"required": _("Reason: tell learners why the slots are cancelled.")},
    )

    def __init__(self, *args: Any, mentor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = Slot.objects.filter(mentor=mentor).select_related("mentor", "site")


class MonthsForm(forms.Form):
    months = forms.IntegerField(label=_("Months to show"), min_value=1, max_value=36, required=False)


class VerifyForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60, required=False)
    reason = forms.CharField(label=_("Reason for a change"), required=False, max_length=1000)
    patients_consented = forms.IntegerField(
        label=_("Patients who agreed to a learner being present (number)"),
        min_value=0,
        max_value=200,
        required=False,
    )
    patients_declined = forms.IntegerField(
        label=_("Patients who preferred no learner (number)"), min_value=0, max_value=200, required=False
    )


class CorrectTimesForm(forms.Form):
    checked_in_at = forms.DateTimeField(
        label=_("Checked in"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    checked_out_at = forms.DateTimeField(
        label=_("Checked out"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class PatientFeedbackForm(forms.Form):
    learner_ok = forms.ChoiceField(
        label=_("Was it OK with you to have a student in the room?"),
        choices=PatientFeedback.Comfort.choices,
        widget=forms.RadioSelect,
    )
    enough_time = forms.ChoiceField(
        label=_("Did you get as much time with the doctor as you needed?"),
        choices=PatientFeedback.Time.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything else? (optional — please do not write names, dates or numbers)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
