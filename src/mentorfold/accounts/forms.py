"""Forms for sign-up, invitations and profiles; validation messages name the field and the fix."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mentorfold.core.forms import RecordsMultipleChoiceField

from .models import (
    WEEKDAY_CHOICES,
    GuardianLink,
    Language,
    LearnerProfile,
    MentorProfile,
    Role,
    User,
    birth_date_problem,
)
from .services import learner_profile_create, mentor_profile_create


class DateInput(forms.DateInput):
    input_type = "date"


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up: who you are and whether you join to mentor or to learn."""

    JOIN_CHOICES = [
        (Role.MENTOR.value, _("Mentor (physician or resident)")),
        (Role.LEARNER.value, _("Learner")),
    ]

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    join_as = forms.ChoiceField(label=_("I am joining as a"), choices=JOIN_CHOICES, widget=forms.RadioSelect)
    specialty = forms.CharField(
        label=_("Specialty (mentors)"), max_length=100, required=False, help_text=_("e.g. Family medicine")
    )
    stage = forms.ChoiceField(
        label=_("Where are you on your path? (learners)"),
        choices=[("", "—")] + list(LearnerProfile.Stage.choices),
        required=False,
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth (learners)"),
        required=False,
        widget=DateInput,
        help_text=_(
            "Pick it in the calendar, or type it as year-month-day (2009-04-17). "
            "Learners under 18 need a parent or guardian to join too."
        ),
        error_messages={"invalid": _("Date of birth: use the format 2009-04-17.")},
    )
    # Mentor and learner fields are grouped in the template; a small script shows only the chosen group.
    template_name = "accounts/signup_form.html"
    MENTOR_FIELDS = ("specialty",)
    LEARNER_FIELDS = ("stage", "date_of_birth")

    field_order = [
        "full_name",
        "email",
        "join_as",
        "specialty",
        "stage",
        "date_of_birth",
        "password1",
        "password2",
    ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("join_as") == Role.MENTOR and not data.get("specialty", "").strip():
            self.add_error("specialty", _("Specialty: tell learners what kind of medicine you practise."))
        if data.get("join_as") == Role.LEARNER:
            if not data.get("stage"):
                self.add_error("stage", _("Stage: choose where you are on your path to medicine."))
            dob = data.get("date_of_birth")
            if "date_of_birth" in self.errors:
                pass  # already told how to write it
            elif not dob:
                self.add_error("date_of_birth", _("Date of birth: enter it as 2009-04-17."))
            elif problem := birth_date_problem(dob):
                self.add_error("date_of_birth", problem)
        else:
            # Mentors never get learner data stored, whatever the hidden fields held.
            data["stage"], data["date_of_birth"] = "", None
            for name in self.LEARNER_FIELDS:
                self.errors.pop(name, None)
        return data

    def signup(self, request: HttpRequest, user: User) -> None:
        data = self.cleaned_data
        user.full_name = data["full_name"].strip()
        user.save(update_fields=["full_name"])
        if data["join_as"] == Role.MENTOR:
            mentor_profile_create(user=user, specialty=data["specialty"])
        else:
            learner_profile_create(user=user, stage=data["stage"], date_of_birth=data["date_of_birth"])


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    full_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(r.value, r.label) for r in (Role.MENTOR, Role.REVIEWER, Role.LEARNER, Role.COORDINATOR)],
    )


class GuardianInviteForm(forms.Form):
    email = forms.EmailField(label=_("Your parent's or guardian's e-mail"))
    relationship = forms.ChoiceField(
        label=_("They are your"),
        choices=[
            ("parent", _("Parent")),
            ("legal guardian", _("Legal guardian")),
            ("other", _("Other caregiver")),
        ],
    )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your full name"), max_length=150)
    password1 = forms.CharField(label=_("Choose a password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Type the password again"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Password: the two passwords do not match."))
        elif p1:
            try:
                password_validation.validate_password(
                    p1, User(email=self.email, full_name=data.get("full_name", ""))
                )
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class MentorProfileForm(forms.ModelForm):
    hosting_weekdays = forms.MultipleChoiceField(
        label=_("Days you can host learners in clinic"),
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Days: choose at least one day you can host learners.")},
    )

    class Meta:
        model = MentorProfile
        fields = [
            "specialty",
            "career_stage",
            "organization",
            "languages",
            "capacity",
            "years_in_practice",
            "accepting_learners",
            "hosting_weekdays",
            "paused_until",
            "bio",
        ]
        widgets = {"languages": forms.CheckboxSelectMultiple, "paused_until": DateInput}
        field_classes = {"languages": RecordsMultipleChoiceField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["languages"].queryset = Language.objects.order_by("name")


class LearnerProfileForm(forms.ModelForm):
    class Meta:
        model = LearnerProfile
        # No date of birth: it decides who needs a guardian, so after sign-up only a coordinator corrects it
        # (learner_correct_birth_date). A crafted POST with it is ignored like any unknown field.
        fields = [
            "stage",
            "school",
            "languages",
            "interests",
            "first_generation",
            "under_represented",
        ]
        widgets = {
            "languages": forms.CheckboxSelectMultiple,
            "first_generation": forms.NullBooleanSelect,
            "under_represented": forms.NullBooleanSelect,
        }
        field_classes = {"languages": RecordsMultipleChoiceField}
        help_texts = {
            "first_generation": _("Optional and private: only you and program coordinators see this."),
            "under_represented": _("Optional and private: only you and program coordinators see this."),
        }


class GuardianConfirmForm(forms.Form):
    """A coordinator records how they checked that this person is the learner's parent or guardian."""

    method = forms.ChoiceField(
        label=_("How did you confirm it?"), choices=GuardianLink.Method.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        help_text=_("e.g. Called the number on the school's emergency form."),
    )


class BirthDateCorrectionForm(forms.Form):
    date_of_birth = forms.DateField(
        label=_("Correct date of birth"),
        widget=DateInput,
        help_text=_("Pick it in the calendar, or type it as year-month-day (2009-04-17)."),
        error_messages={"invalid": _("Date of birth: use the format 2009-04-17.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("How you know the correct date, e.g. school record. Verified guardians get an e-mail."),
    )

    def clean_date_of_birth(self) -> Any:
        dob = self.cleaned_data["date_of_birth"]
        problem = birth_date_problem(dob)
        if problem:
            raise forms.ValidationError(problem)
        return dob


class GuardianLinkRevokeForm(forms.Form):
    """Why a guardian link is removed (kept in the audit log); too long or with hidden characters is refused."""

    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
