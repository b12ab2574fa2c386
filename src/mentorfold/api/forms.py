from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import PersonalAccessToken


def _default_expiry() -> object:
    return timezone.localdate() + timedelta(days=90)


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("What the token is for, e.g. 'My spreadsheet'.")
    )
    scope = forms.ChoiceField(label=_("Access"), choices=PersonalAccessToken.Scope.choices)
    expires_on = forms.DateField(
        label=_("Expires on"),
        initial=_default_expiry,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("At most one year from today. Use the format 2027-04-17."),
    )

    def clean_expires_on(self) -> object:
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError(_("Expires on: choose a date after today."))
        if day > today + timedelta(days=365):
            raise forms.ValidationError(_("Expires on: choose a date within one year."))
        return day
