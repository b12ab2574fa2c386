"""Mentor onboarding (the coordinator's checklist), who is cleared to host, and guardian invite re-sends.

Every write locks the mentor (or guardian link) row, re-checks what it depends on, saves only the fields it
changes and writes an audit event. Other apps call the predicates here instead of repeating the rule:
``slot_publish_refusal`` (shadowing, before publishing slots), ``visible_slot_mentor_q`` (shadowing, slots a
learner sees) and ``mentor_cleared_q`` / ``mentor_accepting_q`` from the models (matching).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mentorfold.core.audit import audit
from mentorfold.core.mail import send_templated_mail
from mentorfold.core.models import AuditEvent

from .models import (
    US_STATES,
    GuardianLink,
    Invitation,
    LearnerProfile,
    MentorProfile,
    Role,
    mentor_cleared_for_minors_q,
    mentor_cleared_q,
)

GUARDIAN_RESEND_INTERVAL = timedelta(hours=1)
INVITATION_VALID_FOR = timedelta(days=14)


def _day(value: date) -> str:
    return formats.date_format(value, "j F Y")


def _require_coordinator(actor: Any) -> None:
    if not (actor is not None and actor.is_authenticated and actor.has_role(Role.COORDINATOR)):
        raise PermissionDenied


def _locked(mentor: MentorProfile) -> MentorProfile:
    return MentorProfile.objects.select_for_update(of=("self",)).select_related("user").get(pk=mentor.pk)


def _not_in_future(field: str, label: str, value: date) -> None:
    if value > timezone.localdate():
        raise ValidationError(
            {field: _("%(label)s: this date is in the future. Enter the day it happened.") % {"label": label}}
        )


# --- Onboarding checklist ----------------------------------------------------------------------------------


@transaction.atomic
def mentor_record_orientation(*, mentor: MentorProfile, actor: Any, completed_on: date) -> MentorProfile:
    """Tick "orientation done" with the day the mentor attended."""
    _require_coordinator(actor)
    _not_in_future("completed_on", _("Orientation date"), completed_on)
    mentor = _locked(mentor)
    mentor.orientation_completed_on = completed_on
    mentor.save(update_fields=["orientation_completed_on"])
    audit(
        actor=actor,
        action="mentor.orientation",
        target=mentor,
        data={"completed_on": completed_on.isoformat()},
    )
    return mentor


@transaction.atomic
def mentor_verify_licence(
    *, mentor: MentorProfile, actor: Any, state: str, number: str, verified_on: date
) -> MentorProfile:
    """Record the medical licence (state and number) and the day the coordinator checked it."""
    _require_coordinator(actor)
    state = state.strip().upper()
    number = " ".join(number.split())
    if state not in {code for code, _label in US_STATES}:
        raise ValidationError({"state": _("Licence state: choose the two-letter code, e.g. WA.")})
    if not number:
        raise ValidationError({"number": _("Licence number: enter it as printed on the licence.")})
    _not_in_future("verified_on", _("Verified on"), verified_on)
    mentor = _locked(mentor)
    mentor.licence_state = state
    mentor.licence_number = number
    mentor.licence_verified_on = verified_on
    mentor.full_clean(exclude=["user", "organization", "languages"])
    mentor.save(update_fields=["licence_state", "licence_number", "licence_verified_on"])
    audit(
        actor=actor,
        action="mentor.licence_verify",
        target=mentor,
        data={"state": state, "number": number, "verified_on": verified_on.isoformat()},
    )
    return mentor


@transaction.atomic
def mentor_verify_background_check(
    *, mentor: MentorProfile, actor: Any, verified_on: date, expires_on: date
) -> MentorProfile:
    """Record a verified background check (needed to host learners under 18) and when it runs out."""
    _require_coordinator(actor)
    _not_in_future("verified_on", _("Verified on"), verified_on)
    if expires_on <= verified_on:
        raise ValidationError({"expires_on": _("Expires on: choose a date after the day it was verified.")})
    if expires_on < timezone.localdate():
        raise ValidationError(
            {
                "expires_on": _("Expires on: this check expired on %(day)s. Record a newer check.")
                % {"day": _day(expires_on)}
            }
        )
    mentor = _locked(mentor)
    mentor.background_check_verified_on = verified_on
    mentor.background_check_expires_on = expires_on
    mentor.save(update_fields=["background_check_verified_on", "background_check_expires_on"])
    audit(
        actor=actor,
        action="mentor.background_check_verify",
        target=mentor,
        data={"verified_on": verified_on.isoformat(), "expires_on": expires_on.isoformat()},
    )
    return mentor


@transaction.atomic
def mentor_activate(*, mentor: MentorProfile, actor: Any) -> MentorProfile:
    """Make the mentor active; refused until orientation and licence are done (background check: minors only)."""
    _require_coordinator(actor)
    mentor = _locked(mentor)
    if mentor.status == MentorProfile.Status.ACTIVE:
        raise ValidationError(_("%(name)s is already active.") % {"name": mentor.user.full_name})
    steps = {
        (False, False): _(
            "%(name)s cannot be activated yet: first record the orientation and verify the licence."
        ),
        (False, True): _("%(name)s cannot be activated yet: first record the orientation."),
        (True, False): _("%(name)s cannot be activated yet: first verify the licence."),
    }
    refusal = steps.get((mentor.has_orientation, mentor.has_verified_licence))
    if refusal is not None:
        raise ValidationError(refusal % {"name": mentor.user.full_name})
    previous = mentor.status
    mentor.status = MentorProfile.Status.ACTIVE
    mentor.status_reason = ""
    mentor.save(update_fields=["status", "status_reason"])
    audit(actor=actor, action="mentor.activate", target=mentor, data={"from": previous})
    return mentor


@transaction.atomic
def mentor_deactivate(*, mentor: MentorProfile, actor: Any, reason: str) -> MentorProfile:
    """Take a mentor off slots and matching; the reason is required and kept on the profile and in the log."""
    _require_coordinator(actor)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Reason: say why this mentor is deactivated.")})
    mentor = _locked(mentor)
    if mentor.status == MentorProfile.Status.INACTIVE:
        raise ValidationError(_("%(name)s is already deactivated.") % {"name": mentor.user.full_name})
    previous = mentor.status
    mentor.status = MentorProfile.Status.INACTIVE
    mentor.status_reason = reason[:500]
    mentor.save(update_fields=["status", "status_reason"])
    audit(actor=actor, action="mentor.deactivate", target=mentor, reason=reason, data={"from": previous})
    return mentor


@transaction.atomic
def mentor_set_sites(*, mentor: MentorProfile, actor: Any, sites: Any) -> MentorProfile:
    """The clinic sites where this mentor hosts learners (matching offers a mentor only at their sites)."""
    _require_coordinator(actor)
    mentor = _locked(mentor)
    before = sorted(mentor.sites.values_list("pk", flat=True))
    mentor.sites.set(sites)
    after = sorted(site.pk for site in sites)
    audit(actor=actor, action="mentor.sites", target=mentor, data={"from": before, "to": after})
    return mentor


# --- Who may host (used by shadowing and matching) ---------------------------------------------------------


def slot_publish_refusal(mentor: MentorProfile) -> str | None:
    """Why this mentor may not publish shadowing slots (None when they may)."""
    if mentor.is_cleared:
        return None
    if mentor.status == MentorProfile.Status.INACTIVE:
        return _("Your mentor account is deactivated, so you cannot publish slots. Contact the coordinator.")
    return _(
        "You can publish slots once the coordinator has finished your onboarding (orientation and licence "
        "check). Contact the coordinator if this takes long."
    )


def visible_slot_mentor_q(*, learner: LearnerProfile, on: date, prefix: str = "mentor__") -> Q:
    """Slots a learner may see: the mentor is cleared, and cleared for minors when the learner is under 18."""
    if learner.age_on(on) < 18:
        return mentor_cleared_for_minors_q(on, prefix)
    return mentor_cleared_q(prefix)


def mentor_may_host(mentor: MentorProfile, *, learner: LearnerProfile, on: date) -> bool:
    """The single-row twin of ``visible_slot_mentor_q``: may ``mentor`` host ``learner`` on ``on``."""
    if learner.age_on(on) < 18:
        return mentor.can_host_minors_on(on)
    return mentor.is_cleared


# --- Guardian invite re-send ------------------------------------------------------------------------------


def _last_sent(link: GuardianLink, invitation: Invitation | None) -> datetime | None:
    resent = (
        AuditEvent.objects.filter(
            action="guardian.invite_resend", target_type="accounts.guardianlink", target_id=str(link.pk)
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    times = [t for t in (resent, invitation.created_at if invitation else None) if t is not None]
    return max(times) if times else None


@transaction.atomic
def guardian_invite_resend(*, link: GuardianLink, actor: Any, now: datetime | None = None) -> Invitation:
    """A coordinator e-mails a guardian's invitation again (at most once an hour per link)."""
    _require_coordinator(actor)
    now = now or timezone.now()
    link = (
        GuardianLink.objects.select_for_update(of=("self",)).select_related("learner__user").get(pk=link.pk)
    )
    if link.status != GuardianLink.Status.INVITED:
        raise ValidationError(
            _("This guardian link is %(status)s, so there is no invitation to send again.")
            % {"status": link.get_status_display().lower()}
        )
    invitation = Invitation.objects.filter(guardian_link=link).first()
    if invitation is not None and invitation.accepted_at is not None:
        raise ValidationError(_("The guardian already accepted this invitation."))
    last = _last_sent(link, invitation)
    if last is not None and now - last < GUARDIAN_RESEND_INTERVAL:
        wait = GUARDIAN_RESEND_INTERVAL - (now - last)
        minutes = max(1, int(wait.total_seconds() // 60) + 1)
        raise ValidationError(
            ngettext(
                "The invitation was sent less than an hour ago. Try again in %(minutes)d minute.",
                "The invitation was sent less than an hour ago. Try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes}
        )
    if invitation is None:
        invitation = Invitation.objects.create(
            email=link.invited_email,
            role=Role.GUARDIAN,
            invited_by=link.learner.user,
            guardian_link=link,
            expires_at=now + INVITATION_VALID_FOR,
        )
    else:
        invitation.expires_at = now + INVITATION_VALID_FOR
        invitation.save(update_fields=["expires_at"])
    audit(actor=actor, action="guardian.invite_resend", target=link, data={"email": link.invited_email})
    learner = link.learner
    url = reverse("invitation_accept", args=[invitation.token])
    transaction.on_commit(
        lambda: send_templated_mail(
            to=[link.invited_email],
            subject=lambda: (
                _("%(name)s invited you to Mentorfold as their parent or guardian")
                % {"name": learner.user.full_name}
            ),
            template="accounts/email/guardian_invitation.txt",
            context={"invitation": invitation, "learner": learner, "url": url},
        )
    )
    return invitation
