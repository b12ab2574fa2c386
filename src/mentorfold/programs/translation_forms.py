"""Forms for the coordinator's translations page: the review status of a language, a consent text translation."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mentorfold.core import languages

from .models import Requirement


def translated_language_choices() -> list[tuple[str, str]]:
    """Every language Mentorfold knows except English (the binding source), offered or not yet."""
    return [(language.code, language.name) for language in languages.KNOWN if language.code != "en"]


class ReviewFields(forms.Form):
    reviewed = forms.BooleanField(label=_("Reviewed by the society"), required=False)
    reviewed_by_name = forms.CharField(label=_("Reviewed by (name)"), max_length=150, required=False)
    reviewed_on = forms.DateField(
        label=_("Reviewed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Use the format 2026-04-17."),
    )


class LanguageReviewForm(ReviewFields):
    """One row of the languages table (prefixed with the language code, so ids stay unique on the page)."""


class LanguagePickForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=translated_language_choices)


class RequirementLanguageForm(forms.Form):
    """Which text and which language to translate (from the query string)."""

    requirement = forms.ModelChoiceField(
        label=_("Text"), queryset=Requirement.objects.exclude(text="").filter(program__isnull=False)
    )
    language = forms.ChoiceField(label=_("Language"), choices=translated_language_choices)


class RequirementTranslationForm(ReviewFields):
    text = forms.CharField(
        label=_("Translated text"), widget=forms.Textarea(attrs={"rows": 8}), max_length=20000
    )
