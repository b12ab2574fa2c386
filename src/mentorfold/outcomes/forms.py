"""Forms of outcomes: the survey (built from its instruments), the yearly pipeline update, licensed wording."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .items import Instrument
from .models import PipelineStage


class SurveyForm(forms.Form):
    """One optional radio group per question: people may skip any question and save part-way."""

    action = forms.ChoiceField(
        choices=[("save", "save"), ("send", "send")], widget=forms.HiddenInput, required=False
    )

    def __init__(self, *args: Any, instruments: list[Instrument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections: list[tuple[Instrument, list[str]]] = []
        for instrument in instruments:
            names = []
            for item in instrument.items:
                self.fields[item.key] = forms.TypedChoiceField(
                    label=item.text,
                    choices=[(str(v), label) for v, label in item.choices],
                    coerce=int,
                    required=False,
                    empty_value=None,
                    widget=forms.RadioSelect,
                )
                names.append(item.key)
            self.sections.append((instrument, names))

    def grouped(self) -> list[tuple[Instrument, list[forms.BoundField]]]:
        return [(instrument, [self[name] for name in names]) for instrument, names in self.sections]

    def answers(self) -> dict[str, int]:
        return {k: v for k, v in self.cleaned_data.items() if k != "action" and v is not None}


class PipelineForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Where are you now?"), choices=PipelineStage.Stage.choices, widget=forms.RadioSelect
    )
    reached_on = forms.DateField(
        label=_("Since when?"),
        help_text=_("An approximate date is fine, e.g. 2026-09-01."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_reached_on(self) -> Any:
        value = self.cleaned_data["reached_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("Since when: this date is in the future. Use today or earlier."))
        return value


class WordingForm(forms.Form):
    """One text box per licensed item: the society pastes the exact wording its licence allows."""

    def __init__(
        self, *args: Any, item_ids: list[str], initial_wording: dict[str, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for item_id in item_ids:
            self.fields[item_id] = forms.CharField(
                label=item_id, required=False, max_length=500, initial=initial_wording.get(item_id, "")
            )


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)


class PipelineImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel (.xlsx) file"),
        help_text=_("Columns: email, stage, since (a date like 2026-09-01), and an optional note."),
    )
