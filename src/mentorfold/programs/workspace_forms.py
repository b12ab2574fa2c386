"""Forms of the coordinator workspace: programs, terms and clinic sites. They parse and label; setup decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import LearnerProfile
from mentorfold.core.forms import RecordsMultipleChoiceField

from .models import Program, Requirement, Site, Term

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_SITE_REQUIREMENTS = 20


class ProgramForm(forms.ModelForm):
    eligible_stages = forms.MultipleChoiceField(
        label=_("Who may apply"),
        choices=LearnerProfile.Stage.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Who may apply: tick at least one learner stage.")},
    )
    sites = RecordsMultipleChoiceField(
        label=_("Clinic sites this program uses"),
        queryset=Site.objects.filter(is_active=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Program
        fields = [
            "name",
            "slug",
            "description",
            "eligible_stages",
            "min_age",
            "max_hours_per_experience",
            "max_bookings_per_week",
            "allows_open_booking",
            "region",
            "is_public",
            "sites",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "slug": _(
                "Lower-case letters, numbers and hyphens, e.g. summer-shadowing. Used in the page address."
            ),
            "description": _("Shown on the public program page. Say who it is for and what learners do."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # A site the program already uses stays selectable even if it was made inactive since.
            self.fields["sites"].queryset = (
                Site.objects.filter(Q(is_active=True) | Q(programs=self.instance)).distinct().order_by("name")
            )


class TermForm(forms.ModelForm):
    application_opens = forms.DateTimeField(label=_("Applications open"), widget=DATETIME_INPUT)
    application_closes = forms.DateTimeField(label=_("Applications close"), widget=DATETIME_INPUT)
    preferences_close = forms.DateTimeField(
        label=_("Rankings close (optional)"), widget=DATETIME_INPUT, required=False
    )

    class Meta:
        model = Term
        fields = [
            "name",
            "application_opens",
            "application_closes",
            "preferences_close",
            "starts_on",
            "ends_on",
            "max_preferences",
        ]
        widgets = {"starts_on": DATE_INPUT, "ends_on": DATE_INPUT}

    def _post_clean(self) -> None:
        # The date rules behind the model's check constraints are checked by setup.term_save with messages
        # that name the field and the fix; here only field-level model validation runs.
        exclude = self._get_validation_exclusions()
        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        except ValidationError as exc:
            self._update_errors(exc)
        try:
            self.instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            self._update_errors(exc)


class TermAdvanceForm(forms.Form):
    """The status the coordinator saw, so a stale page or a double click never skips a step."""

    expected = forms.ChoiceField(choices=Term.Status.choices, widget=forms.HiddenInput)


class ArchiveForm(forms.Form):
    archive = forms.TypedChoiceField(
        choices=[("1", _("Archive")), ("0", _("Bring back"))],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = [
            "name",
            "health_system",
            "address",
            "city",
            "contact_name",
            "contact_phone",
            "contact_email",
            "min_age",
            "max_learners_at_once",
            "max_hours_per_day",
            "dress_code",
            "arrival_notes",
            "is_active",
        ]
        widgets = {
            "dress_code": forms.Textarea(attrs={"rows": 2}),
            "arrival_notes": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"max_learners_at_once": _("Learners per session")}


SITE_REQUIREMENT_KINDS = [
    (k, label) for k, label in Requirement.Kind.choices if k != Requirement.Kind.GUARDIAN_CONSENT
]


class SiteRequirementForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "---------"), *SITE_REQUIREMENT_KINDS])

    class Meta:
        model = Requirement
        fields = [
            "name",
            "kind",
            "applies_to",
            "requires_document",
            "valid_for_days",
            "minors_only",
            "needs_own_document",
            "text",
        ]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def clean_valid_for_days(self) -> int | None:
        days = self.cleaned_data.get("valid_for_days")
        if days is not None and not 1 <= days <= 3650:
            raise forms.ValidationError(
                _("Valid for: use a number of days from 1 to 3650, or leave it empty.")
            )
        return days


class BaseSiteRequirementFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        for form in self.forms[: self.initial_form_count()]:
            if form.instance.pk is None:
                # A posted id that is not one of this clinic's requirements (another clinic's, or deleted).
                raise ValidationError(
                    _(
                        "A requirement in this list no longer belongs to this clinic. Reload the page and try again."
                    )
                )


SiteRequirementFormSet = inlineformset_factory(
    Site,
    Requirement,
    form=SiteRequirementForm,
    formset=BaseSiteRequirementFormSet,
    fk_name="site",
    extra=1,
    can_delete=True,
    max_num=MAX_SITE_REQUIREMENTS,
    validate_max=True,
    absolute_max=MAX_SITE_REQUIREMENTS,
)
