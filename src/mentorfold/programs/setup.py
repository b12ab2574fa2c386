"""The coordinator's setup verbs: programs, terms and clinic sites (what used to need /admin/).

Every function is a service in the house style: keyword-only arguments, coordinator-only, one short
transaction, ``full_clean()`` before saving, an audit row, and a row lock for state changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorfold.accounts.models import Role, User
from mentorfold.core.audit import audit

from . import services
from .models import Enrollment, Program, Requirement, Site, Term

# The only way a term moves: one step forward at a time.
TERM_FLOW = [
    Term.Status.DRAFT,
    Term.Status.OPEN,
    Term.Status.MATCHING,
    Term.Status.ACTIVE,
    Term.Status.CLOSED,
]
TERMS_IN_USE = {Term.Status.OPEN, Term.Status.MATCHING, Term.Status.ACTIVE}


def _require_coordinator(actor: User) -> None:
    if not actor.has_role(Role.COORDINATOR):
        raise PermissionDenied


def next_term_status(status: str) -> str | None:
    """The status a term may move to next, or None when it is closed."""
    index = TERM_FLOW.index(Term.Status(status))
    return TERM_FLOW[index + 1] if index + 1 < len(TERM_FLOW) else None


# --- Programs -------------------------------------------------------------------------------------------


@transaction.atomic
def program_create_with_sites(*, actor: User, sites: Iterable[Site], **fields: Any) -> Program:
    """Create a program (with its standard requirements) and choose its clinic sites, all or nothing."""
    _require_coordinator(actor)
    program = services.program_create(actor=actor, **fields)
    program.sites.set(list(sites))
    return program


@transaction.atomic
def program_update(*, actor: User, program: Program, sites: Iterable[Site] | None = None) -> Program:
    """Save a coordinator's edits to a program (fields already set on ``program``) and its sites."""
    _require_coordinator(actor)
    if program.pk is None:
        raise ValidationError(_("Create the program first."))
    Program.objects.select_for_update().get(pk=program.pk)
    program.full_clean()
    fields = [
        f.name
        for f in Program._meta.concrete_fields
        if f.name not in {"id", "archived_at"} and not f.primary_key
    ]
    program.save(update_fields=fields)
    if sites is not None:
        program.sites.set(list(sites))
    audit(actor=actor, action="program.update", target=program)
    return program


@transaction.atomic
def program_archive(*, actor: User, program: Program, archive: bool = True) -> Program:
    """Archive a program (hidden from the public list, no new terms) or bring it back."""
    _require_coordinator(actor)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if archive:
        if program.archived_at is not None:
            raise ValidationError(_("%(program)s is already archived.") % {"program": program.name})
        busy = list(program.terms.filter(status__in=TERMS_IN_USE).values_list("name", flat=True)[:3])
        if busy:
            raise ValidationError(
                _("Close these terms before archiving %(program)s: %(terms)s.")
                % {"program": program.name, "terms": ", ".join(busy)}
            )
        program.archived_at = timezone.now()
    else:
        if program.archived_at is None:
            raise ValidationError(_("%(program)s is not archived.") % {"program": program.name})
        program.archived_at = None
    program.save(update_fields=["archived_at"])
    audit(actor=actor, action="program.archive" if archive else "program.unarchive", target=program)
    return program


# --- Terms ----------------------------------------------------------------------------------------------


def _check_term_dates(term: Term) -> None:
    errors: dict[str, str] = {}
    if (
        term.application_opens
        and term.application_closes
        and term.application_closes <= term.application_opens
    ):
        errors["application_closes"] = _("Applications close: pick a moment after applications open.")
    if term.starts_on and term.ends_on and term.ends_on <= term.starts_on:
        errors["ends_on"] = _("Ends on: pick a day after the start day.")
    if (
        term.application_closes
        and term.starts_on
        and timezone.localdate(term.application_closes) >= term.starts_on
    ):
        errors["application_closes"] = _(
            "Applications close: pick a day before the term starts, so there is time to match."
        )
    if term.preferences_close and term.application_closes and term.starts_on:
        if term.preferences_close < term.application_closes:
            errors["preferences_close"] = _("Rankings close: pick a moment after applications close.")
        elif timezone.localdate(term.preferences_close) >= term.starts_on:
            errors["preferences_close"] = _("Rankings close: pick a day before the term starts.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def term_save(*, actor: User, term: Term) -> Term:
    """Create a draft term or save edits to its name and dates (the status moves only by ``term_advance``)."""
    _require_coordinator(actor)
    program = Program.objects.select_for_update().get(pk=term.program_id)
    if program.archived_at is not None:
        raise ValidationError(_("%(program)s is archived; bring it back first.") % {"program": program.name})
    fields = [
        "name",
        "application_opens",
        "application_closes",
        "starts_on",
        "ends_on",
        "max_preferences",
        "preferences_close",
    ]
    if term.pk is None:
        term.status = Term.Status.DRAFT
        _check_term_dates(term)
        term.full_clean()
        term.save()
        audit(actor=actor, action="term.create", target=term)
        return term
    current = Term.objects.select_for_update().get(pk=term.pk)
    if current.program_id != term.program_id:
        raise PermissionDenied
    if current.status == Term.Status.CLOSED:
        raise ValidationError(_("%(term)s is closed; its dates can no longer change.") % {"term": current})
    term.status = current.status  # never from the form
    _check_term_dates(term)
    term.full_clean()
    term.save(update_fields=fields)
    audit(actor=actor, action="term.update", target=term)
    return term


def _published_run_exists(term: Term) -> bool:
    match_run = apps.get_model("matching", "MatchRun")
    return bool(match_run.objects.filter(term=term, status=match_run.Status.PUBLISHED).exists())


def _advance_blockers(term: Term, to: str) -> list[str]:
    now = timezone.now()
    problems: list[str] = []
    if to == Term.Status.OPEN:
        if term.program.archived_at is not None:
            problems.append(_("The program is archived."))
        if term.application_closes <= now:
            problems.append(_("The application deadline has passed; move it later first."))
    elif to == Term.Status.MATCHING:
        applied = term.enrollments.exclude(
            status__in=[Enrollment.Status.WITHDRAWN, Enrollment.Status.DECLINED]
        ).exists()
        if not applied:
            problems.append(_("Nobody has applied yet, so there is no one to match."))
    elif to == Term.Status.ACTIVE and not _published_run_exists(term):
        problems.append(_("Publish a match for this term first (Matching → publish a run)."))
    return problems


@transaction.atomic
def term_advance(*, actor: User, term: Term, expected: str) -> Term:
    """Move a term one step forward (draft → open → matching → active → closed), with its checks.

    ``expected`` is the status the coordinator saw; if someone else moved the term meanwhile, nothing
    happens and they are told, so a double click never skips a step.
    """
    _require_coordinator(actor)
    term = Term.objects.select_for_update(of=("self",)).select_related("program").get(pk=term.pk)
    if term.status != expected:
        raise ValidationError(
            _("%(term)s is already %(status)s. Reload the page to see its current state.")
            % {"term": term.name, "status": term.get_status_display().lower()},
            code="stale",
        )
    to = next_term_status(term.status)
    if to is None:
        raise ValidationError(_("%(term)s is closed; it cannot move further.") % {"term": term.name})
    problems = _advance_blockers(term, to)
    if problems:
        raise ValidationError(
            _("%(term)s cannot move to “%(status)s”: %(problems)s")
            % {"term": term.name, "status": Term.Status(to).label, "problems": " ".join(problems)},
            code="blocked",
        )
    previous = term.status
    term.status = to
    term.save(update_fields=["status"])
    audit(actor=actor, action="term.advance", target=term, data={"from": previous, "to": to})
    return term


# --- Sites ----------------------------------------------------------------------------------------------


@transaction.atomic
def site_save(
    *,
    actor: User,
    site: Site,
    requirements: Iterable[Requirement] = (),
    remove: Iterable[Requirement] = (),
) -> Site:
    """Create or update a clinic site and its own requirements (added, changed or removed together)."""
    _require_coordinator(actor)
    creating = site.pk is None
    if not creating:
        Site.objects.select_for_update().get(pk=site.pk)
    site.full_clean()
    site.save()
    for requirement in remove:
        if requirement.pk is None or requirement.site_id != site.pk:
            raise PermissionDenied
        if requirement.records.exists():
            raise ValidationError(
                _(
                    "%(name)s already has submissions, so it cannot be removed (people's records would be lost). "
                    "Rename it or leave it."
                )
                % {"name": requirement.name}
            )
        requirement.delete()
    for requirement in requirements:
        if requirement.pk is not None and requirement.site_id != site.pk:
            raise PermissionDenied
        if requirement.kind == Requirement.Kind.GUARDIAN_CONSENT:
            raise ValidationError(_("Guardian consent is set per program, not per clinic."))
        requirement.site = site
        requirement.program = None
        requirement.full_clean()
        requirement.save()
    audit(actor=actor, action="site.create" if creating else "site.update", target=site)
    return site
