"""The audit helper: every decision a person makes about another person or a record goes through here."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent


def audit(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record that ``actor`` did ``action`` to ``target``; returns the stored event."""
    ip = None
    if request is not None:
        ip = request.META.get("REMOTE_ADDR")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        data=data or {},
        reason=reason,
        ip_address=ip,
    )


# What each recorded action means, for people reading the activity list (the code stays in the database).
ACTION_LABELS: dict[str, Any] = {
    "consent.sign": _("signed a consent form"),
    "consent.revoke": _("withdrew consent"),
    "document.upload": _("uploaded a document"),
    "enrollment.apply": _("applied to a program"),
    "enrollment.waitlist": _("put an application on the waiting list"),
    "enrollment.accept": _("accepted an application"),
    "enrollment.decline": _("turned down an application"),
    "export": _("downloaded a spreadsheet"),
    "grants.assignment_run": _("assigned grant reviewers"),
    "grants.assignment_swapped": _("changed a reviewer assignment"),
    "grants.conflict_added": _("recorded a reviewer conflict"),
    "grants.conflict_discovered": _("found a reviewer conflict"),
    "grants.conflict_status": _("changed a reviewer conflict"),
    "grants.conflicts_detected": _("checked reviewers for conflicts"),
    "grants.cycle_created": _("created a grant cycle"),
    "grants.decision_budget": _("ran the grant budget"),
    "grants.decision_frozen": _("made the grant decision final"),
    "grants.letter_template_changed": _("edited a grant letter"),
    "grants.letters_sent": _("sent grant letters"),
    "grants.reminders_sent": _("sent reviewer reminders"),
    "guardian.invite": _("invited a parent or guardian"),
    "guardian.revoke": _("removed a parent or guardian"),
    "import.commit": _("imported people"),
    "import.preview": _("checked a file of people to import"),
    "invitation.accept": _("accepted an invitation"),
    "invitation.create": _("sent an invitation"),
    "learner.note": _("added a note about a learner"),
    "matching.mentor_decision": _("answered a learner's request"),
    "matching.mentorship_decline": _("declined a mentorship"),
    "matching.mentorship_update": _("updated a mentorship"),
    "matching.place_manually": _("placed a learner by hand"),
    "matching.run_publish": _("published a match"),
    "matching.run_publish_start": _("started publishing a match"),
    "matching.run_start": _("started a match run"),
    "matching.settings_update": _("changed the match settings"),
    "program.create": _("created a program"),
    "requirement.approve": _("approved a requirement"),
    "requirement.reject": _("sent back a requirement"),
    "requirement.sign": _("signed a requirement"),
    "requirement.submit": _("handed in a requirement"),
    "shadowing.booking_cancel": _("cancelled a clinic visit"),
    "shadowing.booking_no_show": _("marked a visit as missed"),
    "shadowing.booking_times_correct": _("corrected visit times"),
    "shadowing.bookings_cancel_consent_revoked": _("cancelled visits after consent was withdrawn"),
    "shadowing.certificate_revoke": _("revoked an hours certificate"),
    "shadowing.hours_verify": _("confirmed shadowing hours"),
    "shadowing.slot_create": _("offered clinic times"),
    "shadowing.slots_cancel": _("cancelled clinic times"),
    "sso.link": _("linked their organisation's account"),
    "sso.mfa_from_provider": _("passed their organisation's second sign-in step"),
    "sso.signup": _("joined with their organisation's account"),
    "term.opt_in": _("signed up to mentor in a term"),
}
ADMIN_LABELS: dict[str, Any] = {
    "add": _("added a record in the admin site"),
    "change": _("changed a record in the admin site"),
    "delete": _("deleted a record in the admin site"),
}


def action_label(action: str) -> str:
    """A readable phrase for a recorded action; unknown codes read as words rather than as a code."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    if action.startswith("admin.") and action.rsplit(".", 1)[-1] in ADMIN_LABELS:
        return str(ADMIN_LABELS[action.rsplit(".", 1)[-1]])
    return action.rsplit(".", 1)[-1].replace("_", " ")
