"""Forms for grants. Rubric and eligibility forms are built from the cycle's configuration."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import ReviewerProfile, User
from mentorfold.core.forms import PageForm

from .applications import amount_problem
from .models import Application, Conflict, GrantCycle, LetterTemplate, ReviewerDeclaration
from .money import money

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
COMMENT_MAX = 2000
_TRUE = frozenset(["on", "true", "1"])
_FALSE = frozenset(["", "off", "false", "0"])


class StrictCheckboxInput(forms.CheckboxInput):
    """Hands the raw submitted text to the field, so a malformed value is refused, not read as "ticked"."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class StrictBooleanField(forms.BooleanField):
    """A checkbox that accepts only what a browser sends ("on", or nothing) and plain true/false words."""

    widget = StrictCheckboxInput

    def to_python(self, value: Any) -> bool:
        if value is None or value is False:
            return False
        if value is True:
            return True
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationError(
            _("%(field)s: choose yes or no (tick the box or leave it empty).")
            % {"field": capfirst(str(self.label or ""))},
            code="invalid",
        )


class PlainTextField(forms.CharField):
    """Free text whose problems are named: control characters and over-long text are refused, never cut."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Our own messages below name the field; Django's generic ones would say "this value".
        self.validators = [
            v
            for v in self.validators
            if not isinstance(v, ProhibitNullCharactersValidator | MaxLengthValidator)
        ]

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        label = capfirst(str(self.label or ""))
        if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
            raise ValidationError(
                _("%(field)s: remove the invisible control character (it often comes from copy and paste).")
                % {"field": label},
                code="control_character",
            )
        if self.max_length is not None and len(text) > self.max_length:
            raise ValidationError(
                _("%(field)s: shorten it to %(limit)s characters or fewer (it has %(n)s).")
                % {"field": label, "limit": f"{self.max_length:,}", "n": f"{len(text):,}"},
                code="max_length",
            )
        return text


class EligibilityForm(forms.Form):
    def __init__(self, *args: Any, cycle: GrantCycle, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for q in cycle.eligibility_questions:
            self.fields[f"q_{q['key']}"] = forms.ChoiceField(
                label=q["text"], choices=YES_NO, widget=forms.RadioSelect
            )
        self.cycle = cycle

    def answers(self) -> dict[str, bool]:
        return {
            q["key"]: self.cleaned_data.get(f"q_{q['key']}") == "yes"
            for q in self.cycle.eligibility_questions
        }


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = [
            "personal_statement",
            "financial_need",
            "need_level",
            "community_involvement",
            "amount_requested",
            "budget_purpose",
            "topics",
            "is_first_year",
            "is_rural",
            "mailing_address",
        ]
        field_classes = {"is_first_year": StrictBooleanField, "is_rural": StrictBooleanField}
        widgets = {
            "personal_statement": forms.Textarea(attrs={"rows": 10, "data-word-count": "true"}),
            "financial_need": forms.Textarea(attrs={"rows": 5, "data-word-count": "true"}),
            "community_involvement": forms.Textarea(attrs={"rows": 5, "data-word-count": "true"}),
            "budget_purpose": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cycle = self.instance.cycle
        self.fields["personal_statement"].help_text = _("Up to %(n)s words.") % {
            "n": cycle.statement_word_limit
        }
        self.fields["financial_need"].help_text = _("Up to %(n)s words.") % {"n": cycle.need_word_limit}
        self.fields["community_involvement"].help_text = _("Up to %(n)s words.") % {
            "n": cycle.community_word_limit
        }
        self.fields["amount_requested"].help_text = _("Between %(lo)s and %(hi)s.") % {
            "lo": money(cycle.award_min),
            "hi": money(cycle.award_max),
        }
        self.fields["mailing_address"].help_text = _(
            "Used only to check for conflicts of interest with reviewers."
        )
        self.fields["amount_requested"].widget.attrs.update(min=cycle.award_min, max=cycle.award_max)

    def clean_amount_requested(self) -> int | None:
        amount = self.cleaned_data.get("amount_requested")
        problem = amount_problem(self.instance.cycle, amount)
        if problem:
            raise ValidationError(problem)
        return amount


class AttachmentForm(forms.Form):
    label = forms.ChoiceField(label=_("Document type"))
    file = forms.FileField(
        label=_("PDF file"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )

    def __init__(self, *args: Any, cycle: GrantCycle, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(label, label) for label in cycle.required_attachments or []] + [("Other", _("Other"))]
        self.fields["label"].choices = choices


class ReviewForm(forms.Form):
    """Rubric scores and comments; ``submitting`` makes every score required (a draft may be partial)."""

    def __init__(self, *args: Any, cycle: GrantCycle, submitting: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rubric = cycle.rubric
        self.submitting = submitting
        for c in cycle.rubric:
            choices = [(str(k), f"{k} — {c['anchors'][str(k)]}") for k in range(1, 6)]
            self.fields[f"score_{c['key']}"] = forms.ChoiceField(
                label=f"{c['name']} ({_('weight')} {c['weight']})",
                choices=choices,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"comment_{c['key']}"] = PlainTextField(
                label=_("Comments on %(name)s") % {"name": c["name"]},
                widget=forms.Textarea(attrs={"rows": 2, "maxlength": COMMENT_MAX}),
                required=False,
                max_length=COMMENT_MAX,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.submitting:
            missing = [
                c
                for c in self.rubric
                if not data.get(f"score_{c['key']}") and f"score_{c['key']}" not in self.errors
            ]
            for c in missing:
                self.add_error(
                    f"score_{c['key']}", _("%(name)s: choose a score from 1 to 5.") % {"name": c["name"]}
                )
            if missing:
                raise ValidationError(
                    _("Score every part before you submit. Missing: %(names)s. Or save a draft.")
                    % {"names": ", ".join(c["name"] for c in missing)}
                )
        return data

    def criteria(self) -> list[tuple[Any, Any]]:
        return [(self[f"score_{c['key']}"], self[f"comment_{c['key']}"]) for c in self.rubric]

    def scores(self) -> dict[str, Any]:
        return {c["key"]: self.cleaned_data.get(f"score_{c['key']}") for c in self.rubric}

    def comments(self) -> dict[str, str]:
        return {c["key"]: self.cleaned_data.get(f"comment_{c['key']}", "") for c in self.rubric}


class ConflictDiscoveredForm(forms.Form):
    reason = PlainTextField(label=_("How you know them (optional)"), required=False, max_length=300)


class DeclarationForm(forms.ModelForm):
    class Meta:
        model = ReviewerDeclaration
        fields = ["known_people", "mailing_address"]
        widgets = {"known_people": forms.Textarea(attrs={"rows": 5})}


def _reviewers() -> Any:
    """Reviewers by name, found from the reviewer profiles (an index), not by scanning every account."""
    return User.objects.filter(pk__in=ReviewerProfile.objects.values("user_id")).order_by("full_name")


class ConflictAddForm(forms.Form):
    reviewer = forms.ModelChoiceField(
        label=_("Reviewer"),
        queryset=_reviewers(),
    )
    application_code = forms.CharField(label=_("Application code"), max_length=8)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ConflictFilterForm(PageForm):
    status = forms.ChoiceField(choices=[("", _("all")), *Conflict.Status.choices], required=False)


class ConflictStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"), choices=[("active", _("Confirm the conflict")), ("dismissed", _("Dismiss it"))]
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class SwapForm(forms.Form):
    new_reviewer = forms.ModelChoiceField(
        label=_("New reviewer"),
        queryset=_reviewers(),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class LetterKindForm(forms.Form):
    """Which of the cycle's letter templates a save is for (the page has one form per kind)."""

    kind = forms.ChoiceField(choices=())

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, k) for k in kinds]


class DecisionActionForm(forms.Form):
    """Which button of the decision page was pressed."""

    action = forms.ChoiceField(
        choices=[("calibrate", "calibrate"), ("budget", "budget"), ("freeze", "freeze")]
    )


class DecisionForm(forms.Form):
    seed = forms.IntegerField(
        label=_("Lottery seed"),
        required=False,
        min_value=0,
        max_value=2**53,
        help_text=_("Leave empty for a fresh random seed. It is published with the decision."),
    )
    override_reason = PlainTextField(
        label=_("Reason to freeze with reviews missing"),
        required=False,
        max_length=300,
        help_text=_(
            "Only if some applications have fewer reviews than the cycle asks. It is kept in the audit log."
        ),
    )


class CycleForm(forms.ModelForm):
    class Meta:
        model = GrantCycle
        fields = [
            "name",
            "state",
            "status",
            "total_budget",
            "award_min",
            "award_max",
            "award_step",
            "partial_awards",
            "opens_at",
            "closes_at",
            "statement_word_limit",
            "need_word_limit",
            "community_word_limit",
            "eligibility_questions",
            "required_attachments",
            "rubric",
            "reviewers_per_application",
            "reviewer_max_load",
            "reviewer_min_load",
            "blind_review",
            "floors",
            "use_lottery",
        ]
        field_classes = {
            "partial_awards": StrictBooleanField,
            "blind_review": StrictBooleanField,
            "use_lottery": StrictBooleanField,
        }
        widgets = {
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "rubric": forms.Textarea(attrs={"rows": 8}),
            "eligibility_questions": forms.Textarea(attrs={"rows": 4}),
            "floors": forms.Textarea(attrs={"rows": 3}),
            "required_attachments": forms.Textarea(attrs={"rows": 2}),
        }


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}
