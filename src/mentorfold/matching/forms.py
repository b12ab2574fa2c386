"""Forms for every matching page: each request value (POST and GET) is read through one of these."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.programs.models import Term

from . import selectors
from .models import MatchRun, MatchSettings, Mentorship

# Largest id a form accepts: bigger numbers are a form error, never a database overflow.
MAX_ID = 2**31 - 1


class MatchRunForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Method"), choices=MatchRun.Method.choices, initial=MatchRun.Method.STABLE
    )
    seed = forms.IntegerField(
        label=_("Seed"),
        initial=1,
        min_value=0,
        max_value=2**31 - 1,
        help_text=_(
            "Breaks ties in mentors' lists when mentors did not rank; the same seed gives the same result."
        ),
    )


class MatchSettingsForm(forms.ModelForm):
    class Meta:
        model = MatchSettings
        fields = [*MatchSettings.WEIGHT_FIELDS, "priority_enabled", "decline_days"]


class PlacementForm(forms.Form):
    learner = forms.ModelChoiceField(label=_("Learner"), queryset=LearnerProfile.objects.none())
    mentor = forms.ModelChoiceField(label=_("Mentor with a free seat"), queryset=MentorProfile.objects.none())
    reason = forms.CharField(
        label=_("Reason (kept in the audit log)"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, term: Term, learners: list[LearnerProfile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = LearnerProfile.objects.filter(
            pk__in=[lp.pk for lp in learners]
        ).select_related("user")
        mentor_ids = [row["mentor"].pk for row in selectors.mentors_with_seats(term)]
        self.fields["mentor"].queryset = MentorProfile.objects.filter(pk__in=mentor_ids).select_related(
            "user"
        )


class RankingActionForm(forms.Form):
    """One change to the learner's list: add, move up/down, remove, or a whole new order (drag and drop)."""

    ACTIONS = ("add", "up", "down", "remove", "order")

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    mentor = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    order = forms.CharField(required=False, max_length=2000)

    def clean_order(self) -> list[int]:
        text = self.cleaned_data.get("order") or ""
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if any(not p.isascii() or not p.isdigit() or len(p) > 10 or int(p) > MAX_ID for p in parts):
            raise forms.ValidationError(_("Your list: the order was not understood. Reload the page."))
        return [int(p) for p in parts]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") in {"add", "up", "down", "remove"} and not data.get("mentor"):
            self.add_error("mentor", _("Choose a mentor."))
        return data


class MentorFilterForm(forms.Form):
    """Filters of the 'mentors you can choose' table on the ranking page."""

    language = forms.CharField(label=_("Speaks (language)"), required=False, max_length=20)
    specialty = forms.CharField(label=_("Specialty"), required=False, max_length=60)
    fits_schedule = forms.TypedChoiceField(
        label=_("Only clinic days that fit my schedule"),
        required=False,
        choices=[("", "-"), ("1", _("Yes"))],
        coerce=lambda v: v == "1",
        empty_value=False,
    )
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=100_000)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {"language": "", "specialty": "", "fits_schedule": False}
        return {k: v for k, v in self.cleaned_data.items() if k != "page"}

    def page_number(self) -> int:
        return (self.cleaned_data.get("page") or 1) if self.is_valid() else 1


class MentorDecisionForm(forms.Form):
    """A mentor's answer about one learner who ranked them."""

    learner = forms.ModelChoiceField(label=_("Learner"), queryset=LearnerProfile.objects.none())
    acceptable = forms.TypedChoiceField(
        label=_("Fit"),
        choices=[("yes", _("Acceptable")), ("no", _("Not acceptable"))],
        coerce=lambda v: v == "yes",
    )
    rank = forms.IntegerField(label=_("Your rank"), required=False, min_value=1, max_value=999)

    def __init__(self, *args: Any, term: Term, mentor: MentorProfile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = LearnerProfile.objects.filter(
            preferences__term=term, preferences__mentor=mentor
        )
        self.fields["learner"].error_messages["invalid_choice"] = _(
            "Learner: this learner did not rank you. Reload the page."
        )


class MentorshipActionForm(forms.Form):
    """Decline, save goals, or change the status of a mentorship."""

    action = forms.ChoiceField(choices=[("decline", "decline"), ("goals", "goals"), ("status", "status")])
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    goals = forms.CharField(label=_("Goals"), required=False, max_length=5000)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[(v, label) for v, label in Mentorship.Status.choices if v != Mentorship.Status.DECLINED],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") == "status" and not data.get("status"):
            self.add_error("status", _("Status: choose one."))
        return data


class CompareRunsForm(forms.Form):
    compare = forms.TypedMultipleChoiceField(required=False, coerce=int, choices=[])

    def __init__(self, *args: Any, runs: list[MatchRun], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compare"].choices = [(r.pk, str(r.pk)) for r in runs]


class PublishForm(forms.Form):
    confirm = forms.ChoiceField(
        label=_("I checked the result and want to publish it"),
        choices=[("yes", _("Yes, publish"))],
        error_messages={"required": _("Confirm: tick the box to publish.")},
    )


SORT_CHOICES = [
    (f"{sign}{key}", f"{sign}{key}")
    for key in ("learner", "mentor", "site", "rank", "score", "reason")
    for sign in ("", "-")
]


class RunTableForm(forms.Form):
    """Search, sort, page and export of a run's tables (GET)."""

    q = forms.CharField(label=_("Search by name"), required=False, max_length=100)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)
    upage = forms.IntegerField(required=False, min_value=1, max_value=100_000)
    export = forms.ChoiceField(required=False, choices=[("csv", "CSV"), ("xlsx", "XLSX")])

    def values(self) -> dict[str, Any]:
        """Cleaned values, or the defaults when the query string was not understood."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "q": (data.get("q") or "").strip(),
            "sort": data.get("sort") or "learner",
            "page": data.get("page") or 1,
            "upage": data.get("upage") or 1,
            "export": data.get("export") or "",
        }


class RunDiffForm(forms.Form):
    """Pick another finished run of the same term to compare with."""

    against = forms.ModelChoiceField(
        label=_("Compare with run"), queryset=MatchRun.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args: Any, run: MatchRun, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["against"]
        field.queryset = (
            MatchRun.objects.filter(
                term_id=run.term_id,
                status__in=[MatchRun.Status.SUCCEEDED, MatchRun.Status.PUBLISHING, MatchRun.Status.PUBLISHED],
            )
            .exclude(pk=run.pk)
            .only("pk", "method", "seed", "status", "term_id")
            .order_by("-pk")
        )
        field.label_from_instance = lambda r: (
            _("#%(n)d · %(method)s · seed %(seed)d")
            % {
                "n": r.pk,
                "method": r.get_method_display(),
                "seed": r.seed,
            }
        )
