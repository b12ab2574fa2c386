from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.utils import timezone

from mentorfold.accounts.models import (
    GuardianLink,
    Language,
    LearnerProfile,
    MentorProfile,
    Organization,
    ReviewerProfile,
    Role,
    User,
)

TEST_PASSWORD = "correct-horse-battery-staple"
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPTESTSECRET234567"


def birthday_for_age(years: int, today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=30)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def verified(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)

    @factory.post_generation
    def roles(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        for role in extracted or []:
            obj.grant_role(Role(role))


def add_totp(user: User, secret: str = TEST_TOTP_SECRET) -> Authenticator:
    return Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": secret})


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organization.Kind.SCHOOL
    state = "WA"


class LanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Language
        django_get_or_create = ("code",)

    code = "es"
    name = "Spanish"


class MentorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MentorProfile

    class Params:
        # A mentor who just joined: nothing on the onboarding checklist is ticked yet.
        onboarding = factory.Trait(
            status=MentorProfile.Status.ONBOARDING,
            orientation_completed_on=None,
            licence_state="",
            licence_number="",
            licence_verified_on=None,
            background_check_verified_on=None,
            background_check_expires_on=None,
        )
        # Cleared for adults only: orientation and licence done, no background check.
        without_background_check = factory.Trait(
            background_check_verified_on=None, background_check_expires_on=None
        )

    user = factory.SubFactory(UserFactory, roles=[Role.MENTOR])
    specialty = "Family medicine"
    status = MentorProfile.Status.ACTIVE
    capacity = 2
    # Cleared by default (and for minors), so other apps' tests get a mentor who can host anyone.
    orientation_completed_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    licence_state = "WA"
    licence_number = factory.Sequence(lambda n: f"MD{60000 + n}")
    licence_verified_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=50))
    background_check_verified_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=40))
    background_check_expires_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=690))


class LearnerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearnerProfile

    class Params:
        age = 20

    user = factory.SubFactory(UserFactory, roles=[Role.LEARNER])
    stage = LearnerProfile.Stage.UNDERGRADUATE
    date_of_birth = factory.LazyAttribute(lambda o: birthday_for_age(o.age))


class GuardianLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GuardianLink

    guardian = factory.SubFactory(UserFactory, roles=[Role.GUARDIAN])
    learner = factory.SubFactory(LearnerProfileFactory, age=16, stage=LearnerProfile.Stage.HIGH_SCHOOL)
    invited_email = factory.LazyAttribute(lambda o: o.guardian.email if o.guardian else "parent@example.org")
    status = GuardianLink.Status.VERIFIED
    # A verified link is one a coordinator confirmed, and says how (see GuardianLink).
    verification_method = factory.LazyAttribute(
        lambda o: GuardianLink.Method.PHONE if o.status == GuardianLink.Status.VERIFIED else ""
    )


class ReviewerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewerProfile

    user = factory.SubFactory(UserFactory, roles=[Role.REVIEWER])
