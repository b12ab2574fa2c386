"""Forms for every messaging request value. There is deliberately no field for who is in a conversation:
the service decides (mentor, learner and, for a learner under 18, every verified guardian)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Meeting
from .services import MAX_BODY

BODY_HELP = _("Plain text. You can use *italics*, **bold**, lists and links.")
FILE_HELP = _("Optional: one PDF, JPEG or PNG file.")


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 5}), help_text=BODY_HELP
    )
    attachment = forms.FileField(label=_("Attach a file"), required=False, help_text=FILE_HELP)


class ThreadForm(MessageForm):
    subject = forms.CharField(label=_("Subject"), max_length=120)
    field_order = ["subject", "body", "attachment"]


class ReportForm(forms.Form):
    reason = forms.CharField(label=_("What is wrong with this message?"), max_length=500)


class LockForm(forms.Form):
    reason = forms.CharField(label=_("Reason (kept in the record)"), max_length=500)


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=Meeting.Kind.choices)
    starts_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("For example 2026-12-14 16:30"),
    )
    duration_minutes = forms.TypedChoiceField(
        label=_("How long"),
        coerce=int,
        choices=[
            (15, _("15 minutes")),
            (30, _("30 minutes")),
            (45, _("45 minutes")),
            (60, _("1 hour")),
            (90, _("1 hour 30 minutes")),
            (120, _("2 hours")),
        ],
        initial=30,
    )
    where = forms.CharField(
        label=_("Where, or how to join"),
        max_length=200,
        required=False,
        help_text=_("A clinic, a meeting room or a video link. Do not write personal phone numbers here."),
    )


class RespondForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", _("Accept")), ("decline", _("Decline"))])

    @property
    def accepted(self) -> bool:
        return self.cleaned_data["answer"] == "accept"


class MeetingLogForm(forms.Form):
    discussed = forms.CharField(
        label=_("What you talked about"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_step = forms.CharField(
        label=_("Next step"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def first_errors(form: Any) -> list[str]:
    out = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        out += [f"{label}: {e}" if label else str(e) for e in errors]
    return out
