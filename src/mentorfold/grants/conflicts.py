"""Automatic conflict-of-interest detection, in bulk: a handful of queries for any number of pairs."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.apps import apps as django_apps
from django.db import connection

from mentorfold.accounts.models import LearnerProfile, MentorProfile, Organization, ReviewerProfile
from mentorfold.matching.models import Mentorship

from .models import Application, Conflict, GrantCycle, ReviewerDeclaration, family_name


@dataclass(frozen=True)
class FoundConflict:
    reviewer_id: int
    application_id: int
    source: str
    status: str
    reason: str


# Everything but letters, digits and spaces (``\\w`` is ``str.isalnum`` plus the underscore).
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def _norm(text: str) -> str:
    return " ".join(_PUNCTUATION.sub("", text.lower()).split())


ORGANIZATION_REASON = "Same school or organisation: "
# Part of the fingerprint: raise it whenever a detection rule changes, so every cycle is detected again.
RULES_VERSION = 1


@dataclass(frozen=True)
class DetectionInputs:
    """Everything detection reads, in a fixed order, read once (a handful of queries).

    ``apps``: (pk, applicant_id, school_id, school name, full name, e-mail, mailing address) of the cycle's
    applications that are not withdrawn; ``reviewers``: (user_id, organization_id, organization name,
    mentor organization_id); ``mentorships``: (mentor user_id, learner_id, status); ``shadowing``:
    (mentor user_id, learner_id); ``declarations``: (reviewer_id, full name, known people, address).
    """

    apps: list[tuple[Any, ...]]
    reviewers: list[tuple[Any, ...]]
    mentorships: list[tuple[Any, ...]]
    shadowing: list[tuple[Any, ...]]
    declarations: list[tuple[Any, ...]]

    def digest(self) -> str:
        """SHA-256 of the inputs and the rules version: equal digests give equal detections."""
        h = hashlib.sha256(f"rules {RULES_VERSION}\n".encode())
        for part in (self.apps, self.reviewers, self.mentorships, self.shadowing, self.declarations):
            h.update(repr(part).encode())
            h.update(b"\x00")
        return h.hexdigest()


def read_inputs(cycle: GrantCycle) -> DetectionInputs:
    """Read what :func:`detect` and :func:`organization_plan` need (5 queries, no transaction needed)."""
    apps = list(
        Application.objects.filter(cycle=cycle)
        .exclude(status=Application.Status.WITHDRAWN)
        .order_by("pk")
        .values_list(
            "pk",
            "applicant_id",
            "applicant__school_id",
            "applicant__school__name",
            "applicant__user__full_name",
            "applicant__user__email",
            "mailing_address",
        )
    )
    reviewers = list(
        ReviewerProfile.objects.order_by("user_id").values_list(
            "user_id", "organization_id", "organization__name", "user__mentor_profile__organization_id"
        )
    )
    mentorships = sorted(
        set(
            Mentorship.objects.filter(
                learner__grant_applications__cycle=cycle, mentor__user__reviewer_profile__isnull=False
            ).values_list("mentor__user_id", "learner_id", "status")
        )
    )
    shadowing: list[tuple[Any, ...]] = []
    try:
        booking = django_apps.get_model("shadowing", "Booking")
    except LookupError:  # the shadowing app has no bookings yet
        booking = None
    if booking is not None:
        shadowing = sorted(
            set(
                booking.objects.filter(
                    learner__grant_applications__cycle=cycle,
                    slot__mentor__user__reviewer_profile__isnull=False,
                ).values_list("slot__mentor__user_id", "learner_id")
            )
        )
    declarations = list(
        ReviewerDeclaration.objects.filter(cycle=cycle)
        .order_by("reviewer_id", "pk")
        .values_list("reviewer_id", "reviewer__full_name", "known_people", "mailing_address")
    )
    return DetectionInputs(apps, reviewers, mentorships, shadowing, declarations)


@dataclass(frozen=True)
class OrganizationPlan:
    """Same-school conflicts, written by the database itself: how many pairs, and application-id ranges
    (inclusive) each holding at most about ``batch_rows`` of them, one short transaction each."""

    count: int
    ranges: list[tuple[int, int]]


def organization_plan(
    cycle: GrantCycle, *, batch_rows: int, inputs: DetectionInputs | None = None
) -> OrganizationPlan:
    """Count the same-school pairs without building them: reviewers per school times applications."""
    inputs = inputs or read_inputs(cycle)
    reviewers_at: dict[int, set[int]] = defaultdict(set)
    for user_id, org_id, _org_name, mentor_org_id in inputs.reviewers:
        for oid in {org_id, mentor_org_id} - {None}:
            reviewers_at[oid].add(user_id)
    count, ranges, start, rows, last = 0, [], None, 0, None
    for pk, _learner, school_id, *_rest in inputs.apps:  # ordered by pk
        if school_id is None:
            continue
        weight = len(reviewers_at.get(school_id, ()))
        if not weight:
            continue
        if start is not None and rows + weight > batch_rows:
            ranges.append((start, last))
            start, rows = None, 0
        if start is None:
            start = pk
        rows += weight
        count += weight
        last = pk
    if start is not None:
        ranges.append((start, last))
    return OrganizationPlan(count, ranges)


def organization_insert(cycle: GrantCycle, *, first: int, last: int, created: Any) -> int:
    """Insert the same-school conflicts of applications ``first..last`` (ids) with one INSERT … SELECT.

    The same rows ``detect`` would build in Python (a reviewer counts for their reviewer organisation
    and their mentor organisation); pairs already stored keep their status (ON CONFLICT DO NOTHING).
    Returns how many rows were new.
    """
    qn = connection.ops.quote_name
    conflict, app, learner = (
        Conflict._meta.db_table,
        Application._meta.db_table,
        LearnerProfile._meta.db_table,
    )
    reviewer, mentor, org = (
        ReviewerProfile._meta.db_table,
        MentorProfile._meta.db_table,
        Organization._meta.db_table,
    )
    columns = ", ".join(
        qn(c)
        for c in ("cycle_id", "reviewer_id", "application_id", "source", "status", "reason", "created_at")
    )
    base = (
        f"FROM {qn(app)} a JOIN {qn(learner)} lp ON lp.{qn('id')} = a.{qn('applicant_id')} "
        f"JOIN {qn(org)} o ON o.{qn('id')} = lp.{qn('school_id')} "
    )
    where = f"WHERE a.{qn('cycle_id')} = %s AND a.{qn('status')} <> %s AND a.{qn('id')} BETWEEN %s AND %s"
    select = f"SELECT rp.{qn('user_id')} AS r, a.{qn('id')} AS ap, o.{qn('name')} AS n "
    # Table and column names come from model metadata, never from users; values are bound parameters.
    sql = (
        f"INSERT INTO {qn(conflict)} ({columns}) "  # noqa: S608
        f"SELECT %s, x.r, x.ap, %s, %s, %s || x.n, %s FROM ("
        f"{select}{base}JOIN {qn(reviewer)} rp ON rp.{qn('organization_id')} = lp.{qn('school_id')} {where} "
        f"UNION {select}{base}JOIN {qn(mentor)} mp ON mp.{qn('organization_id')} = lp.{qn('school_id')} "
        f"JOIN {qn(reviewer)} rp ON rp.{qn('user_id')} = mp.{qn('user_id')} {where}"
        ") x WHERE 1 = 1 ON CONFLICT DO NOTHING"
    )
    window = [cycle.pk, Application.Status.WITHDRAWN.value, first, last]
    params = [
        cycle.pk,
        Conflict.Source.ORGANIZATION.value,
        Conflict.Status.ACTIVE.value,
        ORGANIZATION_REASON,
        created,
        *window,
        *window,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def detect(
    cycle: GrantCycle, *, organizations: bool = True, inputs: DetectionInputs | None = None
) -> list[FoundConflict]:
    """Every automatic or declared conflict between the society's reviewers and this cycle's applications.

    With ``organizations=False`` the same-school pairs (the many) are left out: ``organization_plan`` and
    ``organization_insert`` count and write them in the database instead. ``inputs`` (from
    :func:`read_inputs`) saves reading them again.
    """
    inputs = inputs or read_inputs(cycle)
    apps, reviewers = inputs.apps, inputs.reviewers
    found: list[FoundConflict] = []
    by_school: dict[int, list[int]] = defaultdict(list)
    school_name: dict[int, str] = {}
    app_by_learner: dict[int, int] = {}
    for pk, learner_id, school_id, school, _name, _email, _addr in apps:
        app_by_learner[learner_id] = pk
        if school_id is not None:
            by_school[school_id].append(pk)
            school_name[school_id] = school
    for user_id, org_id, _org_name, mentor_org_id in reviewers if organizations else ():
        for oid in {org_id, mentor_org_id} - {None}:
            for app_pk in by_school.get(oid, ()):
                found.append(
                    FoundConflict(
                        user_id,
                        app_pk,
                        Conflict.Source.ORGANIZATION,
                        Conflict.Status.ACTIVE,
                        ORGANIZATION_REASON + school_name[oid],
                    )
                )
    seen = set()
    for user_id, learner_id, status in inputs.mentorships:
        if (user_id, learner_id) in seen or learner_id not in app_by_learner:
            continue
        seen.add((user_id, learner_id))
        found.append(
            FoundConflict(
                user_id,
                app_by_learner[learner_id],
                Conflict.Source.MENTORSHIP,
                Conflict.Status.ACTIVE,
                f"Mentor of the applicant (mentorship {status})",
            )
        )
    found += [
        FoundConflict(
            user_id,
            app_by_learner[learner_id],
            Conflict.Source.SHADOWING,
            Conflict.Status.ACTIVE,
            "The applicant shadowed this reviewer",
        )
        for user_id, learner_id in inputs.shadowing
        if learner_id in app_by_learner
    ]
    found += _declared(inputs.declarations, apps)
    return found


def _declared(declarations: list[tuple[Any, ...]], apps: list[tuple[Any, ...]]) -> list[FoundConflict]:
    if not declarations:
        return []
    by_email: dict[str, list[int]] = defaultdict(list)
    by_name: dict[str, list[int]] = defaultdict(list)
    by_family_address: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, _learner, _school_id, _school, name, email, address in apps:
        by_email[email.lower()].append(pk)
        by_name[_norm(name)].append(pk)
        if address.strip():
            by_family_address[(family_name(name), _norm(address))].append(pk)
    found: list[FoundConflict] = []
    for reviewer_id, reviewer_name, known, address in declarations:
        for line in known.splitlines():
            line = line.strip()
            if not line:
                continue
            matches = by_email.get(line.lower()) or by_name.get(_norm(line)) or []
            for app_pk in matches:
                found.append(
                    FoundConflict(
                        reviewer_id,
                        app_pk,
                        Conflict.Source.DECLARED,
                        Conflict.Status.ACTIVE,
                        f"Declared by the reviewer: {line[:200]}",
                    )
                )
        if address.strip():
            for app_pk in by_family_address.get((family_name(reviewer_name), _norm(address)), []):
                found.append(
                    FoundConflict(
                        reviewer_id,
                        app_pk,
                        Conflict.Source.FAMILY_ADDRESS,
                        Conflict.Status.FLAGGED,
                        "Same family name and mailing address: a coordinator should check",
                    )
                )
    return found
