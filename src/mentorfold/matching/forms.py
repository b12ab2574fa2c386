"""Forms for coordinators' matching pages (learner and mentor pages use plain buttons)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.programs.models import Term

from . import selectors
from .models import MatchRun, MatchSettings


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
