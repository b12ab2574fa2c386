"""The verbs of the accounts domain: sign-up profiles, invitations, guardians, roles."""

from __future__ import annotations

from datetime import date
from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorfold.core.audit import audit
from mentorfold.core.mail import send_templated_mail

from .models import GuardianLink, Invitation, LearnerProfile, MentorProfile, ReviewerProfile, Role, User

STAFF_INVITABLE_ROLES = {Role.COORDINATOR, Role.MENTOR, Role.REVIEWER, Role.LEARNER}


def mentor_profile_create(*, user: User, specialty: str, **fields: Any) -> MentorProfile:
    profile = MentorProfile(user=user, specialty=specialty.strip(), **fields)
    profile.full_clean()
    profile.save()
    user.grant_role(Role.MENTOR)
    return profile


def learner_profile_create(*, user: User, stage: str, date_of_birth: date, **fields: Any) -> LearnerProfile:
    profile = LearnerProfile(user=user, stage=stage, date_of_birth=date_of_birth, **fields)
    profile.full_clean()
    profile.save()
    user.grant_role(Role.LEARNER)
    return profile


def _invitation_url(invitation: Invitation) -> str:
    return reverse("invitation_accept", args=[invitation.token])


@transaction.atomic
def invitation_create(*, invited_by: User, email: str, role: str, full_name: str = "") -> Invitation:
    """A coordinator invites someone to join as coordinator, mentor, reviewer or learner."""
    if not invited_by.has_role(Role.COORDINATOR):
        raise PermissionDenied
    if role not in STAFF_INVITABLE_ROLES:
        raise ValidationError({"role": _("Role: choose coordinator, mentor, reviewer or learner.")})
    email = email.strip().lower()
    invitation = Invitation(email=email, role=role, full_name=full_name.strip(), invited_by=invited_by)
    invitation.full_clean()
    invitation.save()
    audit(
        actor=invited_by, action="invitation.create", target=invitation, data={"role": role, "email": email}
    )
    transaction.on_commit(lambda: _send_invitation(invitation))
    return invitation


def _send_invitation(invitation: Invitation) -> None:
    send_templated_mail(
        to=[invitation.email],
        subject=lambda: _("You are invited to Mentorfold"),
        template="accounts/email/invitation.txt",
        context={"invitation": invitation, "url": _invitation_url(invitation)},
    )


def _mailbox(email: str) -> str:
    """``name+anything@host`` reaches the mailbox of ``name@host``."""
    local, _at, domain = email.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _is_learners_own_address(learner: LearnerProfile, email: str) -> bool:
    addresses = {
        learner.user.email,
        *EmailAddress.objects.filter(user_id=learner.user_id).values_list("email", flat=True),
    }
    return _mailbox(email) in {_mailbox(a) for a in addresses}


def mask_email(email: str) -> str:
    """``new.reviewer@example.org`` -> ``n…@example.org``: enough to recognise one's own address."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


@transaction.atomic
def guardian_invite(*, learner: LearnerProfile, email: str, relationship: str = "parent") -> GuardianLink:
    """A learner under 18 invites a parent or guardian, who must accept from their own e-mail."""
    email = email.strip().lower()
    if _is_learners_own_address(learner, email):
        raise ValidationError(
            {"email": _("E-mail: enter your parent's or guardian's address, not your own.")}
        )
    if GuardianLink.objects.filter(
        learner=learner,
        invited_email=email,
        status__in=[GuardianLink.Status.INVITED, GuardianLink.Status.VERIFIED],
    ).exists():
        raise ValidationError({"email": _("E-mail: you have already invited this guardian.")})
    link = GuardianLink(learner=learner, invited_email=email, relationship=relationship)
    link.full_clean()
    link.save()
    invitation = Invitation.objects.create(
        email=email, role=Role.GUARDIAN, invited_by=learner.user, guardian_link=link
    )
    audit(actor=learner.user, action="guardian.invite", target=link, data={"email": email})
    transaction.on_commit(
        lambda: send_templated_mail(
            to=[email],
            subject=lambda: (
                _("%(name)s invited you to Mentorfold as their parent or guardian")
                % {"name": learner.user.full_name}
            ),
            template="accounts/email/guardian_invitation.txt",
            context={"invitation": invitation, "learner": learner, "url": _invitation_url(invitation)},
        )
    )
    return link


def _check_invitation_open(invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used. Log in instead."))
    if invitation.expires_at <= timezone.now():
        raise ValidationError(
            _("This invitation has expired. Ask the person who invited you to send a new one.")
        )


def invitation_addressee_problem(invitation: Invitation, user: User) -> str | None:
    """Why ``user`` may not accept ``invitation``: only the account that owns the invited address may."""
    if EmailAddress.objects.filter(user_id=user.pk, email__iexact=invitation.email, verified=True).exists():
        return None
    return _(
        "This invitation was sent to %(email)s. Sign out and open it again, or ask the society for a new one."
    ) % {"email": mask_email(invitation.email)}


def _apply_invitation(invitation: Invitation, user: User) -> None:
    link = None
    if invitation.role == Role.GUARDIAN:
        link = (
            GuardianLink.objects.select_for_update()
            .select_related("learner")
            .get(pk=invitation.guardian_link_id)
        )
        if link.learner.user_id == user.pk or _is_learners_own_address(link.learner, user.email):
            raise ValidationError(_("A learner cannot be their own guardian."))
        if (
            user.has_role(Role.LEARNER)
            and getattr(user, "learner_profile", None)
            and user.learner_profile.is_minor
        ):
            raise ValidationError(_("A guardian must be an adult."))
    # A role is never granted for holding a link: the accepting account must own the invited address.
    problem = invitation_addressee_problem(invitation, user)
    if problem:
        raise ValidationError(problem)
    if link is not None:
        if link.status != GuardianLink.Status.INVITED:
            raise ValidationError(_("This invitation has already been used. Log in instead."))
        # Reading the e-mail does not prove parenthood: the link counts once a coordinator confirms it.
        link.guardian = user
        link.status = GuardianLink.Status.ACCEPTED
        link.accepted_at = timezone.now()
        link.save(update_fields=["guardian", "status", "accepted_at"])
    user.grant_role(Role(invitation.role))
    if invitation.role == Role.REVIEWER:
        ReviewerProfile.objects.get_or_create(user=user)
    if invitation.role == Role.MENTOR:
        # An invited physician starts onboarding with an empty profile that the profile page asks them to fill.
        MentorProfile.objects.get_or_create(user=user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit(actor=user, action="invitation.accept", target=invitation, data={"role": invitation.role})


@transaction.atomic
def invitation_accept_new_user(*, invitation: Invitation, full_name: str, password: str) -> User:
    """Create the account for an invitation; the e-mail counts as verified since the link reached it."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_invitation_open(invitation)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(
            _("An account with this e-mail already exists. Log in to accept the invitation.")
        )
    user = User.objects.create_user(email=invitation.email, password=password, full_name=full_name.strip())
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    _apply_invitation(invitation, user)
    return user


@transaction.atomic
def invitation_accept_existing_user(*, invitation: Invitation, user: User) -> None:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_invitation_open(invitation)
    _apply_invitation(invitation, user)


@transaction.atomic
def guardian_link_revoke(*, link: GuardianLink, actor: User, reason: str) -> None:
    """A guardian withdraws (or a coordinator removes) the link; later issues cancel bookings on revoked consent."""
    if not (actor.has_role(Role.COORDINATOR) or link.guardian_id == actor.pk):
        raise PermissionDenied
    # A conditional update: a second revoke (double click, two tabs) changes nothing and is not audited again.
    revoked = (
        GuardianLink.objects.filter(pk=link.pk)
        .exclude(status=GuardianLink.Status.REVOKED)
        .update(status=GuardianLink.Status.REVOKED)
    )
    link.status = GuardianLink.Status.REVOKED
    if revoked:
        audit(actor=actor, action="guardian.revoke", target=link, reason=reason)


@transaction.atomic
def guardian_link_confirm(*, link: GuardianLink, actor: User, method: str, note: str = "") -> GuardianLink:
    """A coordinator confirms, outside Mentorfold, that this person is the learner's parent or guardian."""
    if not actor.has_role(Role.COORDINATOR):
        raise PermissionDenied
    link = (
        GuardianLink.objects.select_for_update(of=("self",))
        .select_related("guardian", "learner__user")
        .get(pk=link.pk)
    )
    if link.status != GuardianLink.Status.ACCEPTED or link.guardian is None:
        raise ValidationError(_("This guardian link is not waiting for confirmation any more."))
    if method not in GuardianLink.Method.values:
        raise ValidationError({"method": _("How: choose phone call, in person or school record.")})
    if _is_learners_own_address(link.learner, link.guardian.email):
        raise ValidationError(
            _("The guardian's e-mail is the learner's own address: this cannot be confirmed.")
        )
    link.status = GuardianLink.Status.VERIFIED
    link.verified_at = timezone.now()
    link.verified_by = actor
    link.verification_method = method
    link.verification_note = note.strip()
    link.full_clean()
    link.save(
        update_fields=["status", "verified_at", "verified_by", "verification_method", "verification_note"]
    )
    audit(
        actor=actor,
        action="guardian.confirm",
        target=link,
        data={"method": method, "learner": link.learner_id, "guardian": link.guardian_id},
        reason=link.verification_note,
    )
    return link


@transaction.atomic
def learner_correct_birth_date(
    *, learner: LearnerProfile, actor: User, date_of_birth: date, reason: str
) -> LearnerProfile:
    """A coordinator corrects a learner's date of birth (learners cannot: it decides who needs a guardian)."""
    if not actor.has_role(Role.COORDINATOR):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Reason: say how you know the correct date.")})
    learner = LearnerProfile.objects.select_for_update().select_related("user").get(pk=learner.pk)
    old = learner.date_of_birth
    if old == date_of_birth:
        raise ValidationError({"date_of_birth": _("Date of birth: this is already the date on file.")})
    learner.date_of_birth = date_of_birth
    learner.full_clean()
    learner.save(update_fields=["date_of_birth"])
    audit(
        actor=actor,
        action="learner.birth_date_correct",
        target=learner,
        data={"from": old.isoformat(), "to": date_of_birth.isoformat()},
        reason=reason.strip(),
    )
    guardians = list(
        GuardianLink.objects.filter(
            learner=learner, status=GuardianLink.Status.VERIFIED, guardian__isnull=False
        ).values_list("guardian__email", flat=True)
    )
    if guardians:
        name = learner.user.full_name
        transaction.on_commit(
            lambda: send_templated_mail(
                to=guardians,
                subject=lambda: _("The date of birth of %(name)s was corrected") % {"name": name},
                template="accounts/email/birth_date_corrected.txt",
                context={"name": name, "date_of_birth": date_of_birth, "reason": reason.strip()},
            )
        )
    return learner
