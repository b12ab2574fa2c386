"""Forms for every learning request value (questions, answers, glossary, moments, cards, reflections)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import Language
from mentorfold.matching.models import Mentorship
from mentorfold.programs.models import Program
from mentorfold.shadowing.models import Booking

from .models import GlossaryEntry, Question, Reflection, TeachingMoment


class AskForm(forms.Form):
    """Ask your mentor (choose the mentorship) or the whole program."""

    to = forms.ChoiceField(label=_("Who should answer?"))
    booking = forms.ModelChoiceField(
        label=_("About a shadowing visit (optional)"), queryset=Booking.objects.none(), required=False
    )
    title = forms.CharField(label=_("Your question in one line"), max_length=200)
    body = forms.CharField(
        label=_("More detail (optional)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(
        self, *args: Any, mentorships: list[Mentorship], programs: list[Program], bookings: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.mentorships = {f"m{m.pk}": m for m in mentorships}
        self.programs = {f"p{p.pk}": p for p in programs}
        choices = [
            (key, _("My mentor, %(name)s") % {"name": m.mentor}) for key, m in self.mentorships.items()
        ]
        choices += [
            (key, _("Everyone in %(program)s") % {"program": p.name}) for key, p in self.programs.items()
        ]
        self.fields["to"].choices = choices
        self.fields["booking"].queryset = bookings
        self.fields["booking"].label_from_instance = lambda b: str(b.slot.starts_at.date())

    def target(self) -> tuple[Mentorship | None, Program | None]:
        key = self.cleaned_data["to"]
        return self.mentorships.get(key), self.programs.get(key)


class AnswerForm(forms.Form):
    answer_markdown = forms.CharField(
        label=_("Your answer"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("You can use Markdown: **bold**, *italic*, lists and links."),
    )
    sent_back_to_books = forms.BooleanField(
        label=_("This question sent me back to the books"), required=False
    )
    reviewed_what = forms.CharField(label=_("What I reviewed"), max_length=300, required=False)


class MomentForm(forms.ModelForm):
    class Meta:
        model = TeachingMoment
        fields = ["direction", "category", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class GlossaryForm(forms.ModelForm):
    class Meta:
        model = GlossaryEntry
        fields = ["term", "meaning", "example", "direction", "language"]
        widgets = {"meaning": forms.Textarea(attrs={"rows": 2}), "example": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].queryset = Language.objects.order_by("name")
        self.fields["language"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("direction") == GlossaryEntry.Direction.PATIENT_LANGUAGE and not data.get("language"):
            self.add_error("language", _("Language: choose the language of the phrase."))
        return data


class ProgramGlossaryForm(GlossaryForm):
    program = forms.ModelChoiceField(label=_("Program"), queryset=Program.objects.order_by("name"))

    class Meta(GlossaryForm.Meta):
        fields = ["program", "term", "meaning", "example", "direction", "language"]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the glossary"), max_length=100, required=False)


class CardForm(forms.Form):
    question = forms.ModelChoiceField(queryset=Question.objects.all(), required=False)
    glossary_entry = forms.ModelChoiceField(queryset=GlossaryEntry.objects.all(), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("question")) == bool(data.get("glossary_entry")):
            raise forms.ValidationError(_("Choose one glossary term or one answered question."))
        return data


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How well did you remember?"),
        coerce=int,
        choices=[(1, _("Again")), (2, _("Hard")), (3, _("Good")), (4, _("Easy"))],
    )


class ReflectionForm(forms.ModelForm):
    class Meta:
        model = Reflection
        fields = ["surprised", "still_wondering", "shared_with_coordinators"]
        widgets = {
            "surprised": forms.Textarea(attrs={"rows": 4}),
            "still_wondering": forms.Textarea(attrs={"rows": 3}),
        }
