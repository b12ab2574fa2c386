"""The writes of an import: people are written not yet live in short chunks, then made live at once.

``importing.import_batch_commit`` drives these: ``prepare_people`` turns the checked rows into database values
outside any transaction, ``write_chunk`` writes a chunk of inactive accounts (with their role, but no profile) and an
``ImportPending`` row each, and ``make_live`` gives the whole batch profiles and languages and activates
it with a fixed number of set-based statements.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from mentorfold.accounts.models import Language, LearnerProfile, MentorProfile, Organization, Role, User
from mentorfold.core.bulk import insert_rows

from .models import ImportBatch, ImportPending, ImportPendingLanguage


def _org_ids(names: set[str], kind: str) -> dict[str, int]:
    found = {o.name.lower(): o.pk for o in Organization.objects.filter(kind=kind, name__in=names)}
    new = [Organization(name=n, kind=kind) for n in sorted(names) if n.lower() not in found]
    Organization.objects.bulk_create(new, ignore_conflicts=True)
    return {o.name.lower(): o.pk for o in Organization.objects.filter(kind=kind, name__in=names)}


@contextmanager
def without_gc_pauses() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while a write transaction of an import runs.

    An import keeps tens of thousands of rows in memory, so a full collection can take 0.4 s; one that starts
    inside a transaction holds the write lock that long. The transactions here are short and make few
    reference cycles, so collecting just after them costs nothing. Use it inside ``transaction.atomic()``, so
    what runs on commit (a task, with the immediate backend) runs with the collector on again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class _Insert:
    """One INSERT prepared before the write transaction: its SQL and every row's database-ready values.

    Building model instances and turning their fields into database values is most of the work of a bulk
    insert; done here, the write transaction only fills in the ids it cannot know beforehand and runs the SQL.
    """

    model: Any
    columns: list[str]
    rows: list[list[Any]]
    keys: list[str]  # whose row it is (an e-mail address), to fill in ids known only after an earlier insert

    @classmethod
    def of(cls, model: Any, objects: list[tuple[str, Any]], *, later: Sequence[str] = ()) -> _Insert:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not f.primary_key and not f.has_db_default() and f.attname not in later
        ]
        rows = [
            [None] * len(later)
            + [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in fields]
            for _key, obj in objects
        ]
        return cls(model, [*later, *(f.attname for f in fields)], rows, [key for key, _obj in objects])

    def part(self, start: int, stop: int) -> _Insert:
        return _Insert(self.model, self.columns, self.rows[start:stop], self.keys[start:stop])

    def fill(self, column: str, value_of: dict[str, Any]) -> None:
        index = self.columns.index(column)
        for key, row in zip(self.keys, self.rows, strict=True):
            row[index] = value_of.get(key)

    def execute(self, *, returning: str | None = None) -> dict[Any, int]:
        """Run the insert. With ``returning``, answer ``{value of that column: new id}`` from the insert itself.

        Rows come back by value, not by position, so the order in which the database returns them is irrelevant.
        """
        if not self.rows:
            return {}
        quote = connection.ops.quote_name
        opts = self.model._meta
        columns = ", ".join(quote(opts.get_field(c).column) for c in self.columns)
        row_sql = "(" + ", ".join(["%s"] * len(self.columns)) + ")"
        # Only the model's own table and column names go into the SQL text; every value is a parameter.
        head = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES "  # noqa: S608
        found: dict[Any, int] = {}
        with connection.cursor() as cursor:
            if returning is None:
                cursor.executemany(head + row_sql, self.rows)
                return found
            tail = f" RETURNING {quote(opts.pk.column)}, {quote(opts.get_field(returning).column)}"
            per = max(1, MAX_SQL_PARAMETERS // len(self.columns))
            for start in range(0, len(self.rows), per):
                chunk = self.rows[start : start + per]
                cursor.execute(
                    head + ", ".join([row_sql] * len(chunk)) + tail, [v for row in chunk for v in row]
                )
                found.update((value, pk) for pk, value in cursor.fetchall())
        return found


# Parameters in one multi-row INSERT: under SQLite's 32,766 (and PostgreSQL's 65,535).
MAX_SQL_PARAMETERS = 30000


@dataclass
class Prepared:
    """Everything a batch writes, built before any transaction so the write lock is held only to insert."""

    kind: str
    group_id: int
    users: _Insert
    addresses: _Insert
    pending: _Insert
    languages: list[tuple[str, int]]  # (e-mail, language id)
    organization_names: set[str]


def prepare_people(batch: ImportBatch) -> Prepared:
    rows = batch.rows
    # Not live until the whole batch is written: inactive, no profile (see ImportPending).
    users = [(r["email"], User(email=r["email"], full_name=r["full_name"], is_active=False)) for r in rows]
    for _email, user in users:
        user.set_unusable_password()
    addresses = [(r["email"], EmailAddress(email=r["email"], verified=False, primary=True)) for r in rows]
    language_ids = dict(Language.objects.values_list("code", "pk"))
    learners = batch.kind == ImportBatch.Kind.LEARNERS
    pending = [
        (
            r["email"],
            ImportPending(
                batch_id=batch.pk,
                organization=r["school" if learners else "organization"],
                stage=r.get("stage", ""),
                date_of_birth=date.fromisoformat(r["date_of_birth"]) if learners else None,
                specialty=r.get("specialty", ""),
                capacity=r.get("capacity"),
            ),
        )
        for r in rows
    ]
    # The role's group is created outside the import's transactions: it is shared, and harmless if unused.
    group, _created = Group.objects.get_or_create(name=(Role.LEARNER if learners else Role.MENTOR).value)
    org_column = "school" if learners else "organization"
    return Prepared(
        kind=batch.kind,
        group_id=group.pk,
        users=_Insert.of(User, users),
        addresses=_Insert.of(EmailAddress, addresses, later=["user_id"]),
        pending=_Insert.of(ImportPending, pending, later=["user_id"]),
        languages=[(r["email"], language_ids[code]) for r in rows for code in r["languages"]],
        organization_names={r[org_column] for r in rows if r[org_column]},
    )


def write_chunk(batch: ImportBatch, prepared: Prepared, start: int, stop: int, *, first: bool) -> list[int]:
    """Write one chunk of not-yet-live people in one short transaction; returns their user ids."""
    with transaction.atomic(), without_gc_pauses():
        status = (
            ImportBatch.objects.select_for_update()
            .filter(pk=batch.pk)
            .values_list("status", flat=True)
            .first()
        )
        if status not in {ImportBatch.Status.PREVIEW, ImportBatch.Status.RUNNING}:
            raise ValidationError(_("This import was already run."))
        if first and ImportPending.objects.filter(batch_id=batch.pk).exists():
            raise ValidationError(_("This import was already started."), code="already_started")
        by_email = prepared.users.part(start, stop).execute(returning="email")
        for part in (prepared.addresses.part(start, stop), prepared.pending.part(start, stop)):
            part.fill("user_id", by_email)
            part.execute()
        # The role can come now: roles matter only to a signed-in person, and these accounts cannot sign in.
        insert_rows(
            User.groups.through,
            ["user_id", "group_id"],
            [(pk, prepared.group_id) for pk in by_email.values()],
        )
        insert_rows(
            ImportPendingLanguage,
            ["batch_id", "user_id", "language_id"],
            [(batch.pk, by_email[e], language) for e, language in prepared.languages if e in by_email],
        )
    return list(by_email.values())


# Per-row profile columns taken from ImportPending ("p") or the organisation looked up by name ("o").
_PROFILE_FROM_PENDING = {
    ImportBatch.Kind.LEARNERS: {"user": "p.user_id", "stage": "p.stage", "date_of_birth": "p.date_of_birth"},
    ImportBatch.Kind.MENTORS: {"user": "p.user_id", "specialty": "p.specialty", "capacity": "p.capacity"},
}


def make_live(batch_id: int, prepared: Prepared) -> int:
    """Give the batch's pending people profiles and languages and activate them; returns the count.

    A fixed number of set-based statements (INSERT … SELECT from the pending rows), whatever the batch size.
    """
    learners = prepared.kind == ImportBatch.Kind.LEARNERS
    model: Any = LearnerProfile if learners else MentorProfile
    org_kind = Organization.Kind.SCHOOL if learners else Organization.Kind.HEALTH_SYSTEM
    _org_ids(prepared.organization_names, org_kind)
    per_row = {
        **_PROFILE_FROM_PENDING[ImportBatch.Kind(prepared.kind)],
        "school" if learners else "organization": "o.id",
    }
    template = LearnerProfile() if learners else MentorProfile(status=MentorProfile.Status.ONBOARDING)
    constants = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in per_row or field.has_db_default():
            continue
        value = field.get_db_prep_save(field.pre_save(template, True), connection=connection)
        if value is not None:  # a column left out is NULL (and an untyped NULL would not suit PostgreSQL)
            constants.append((field.column, value))
    q = connection.ops.quote_name
    pending, org = q(ImportPending._meta.db_table), q(Organization._meta.db_table)
    profile = q(model._meta.db_table)
    columns = [model._meta.get_field(name).column for name in per_row] + [c for c, _v in constants]
    values = [*per_row.values(), *(["%s"] * len(constants))]
    through = model.languages.through
    # Only model table and column names go into the SQL text; every value is a parameter.
    statements = [
        (
            f"INSERT INTO {profile} ({', '.join(q(c) for c in columns)}) SELECT {', '.join(values)} "  # noqa: S608
            f"FROM {pending} p LEFT JOIN (SELECT name, MAX(id) AS id FROM {org} WHERE kind = %s GROUP BY name) o "
            f"ON o.name = p.organization AND p.organization <> '' WHERE p.batch_id = %s",
            [*(v for _c, v in constants), org_kind.value, batch_id],
        ),
        (
            f"INSERT INTO {q(through._meta.db_table)} "  # noqa: S608
            f"({q(through._meta.get_field(model._meta.model_name).column)}, "
            f"{q(through._meta.get_field('language').column)}) "
            f"SELECT pr.id, l.language_id FROM {q(ImportPendingLanguage._meta.db_table)} l "
            f"JOIN {profile} pr ON pr.user_id = l.user_id WHERE l.batch_id = %s",
            [batch_id],
        ),
    ]
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
    live = User.objects.filter(
        pk__in=ImportPending.objects.filter(batch_id=batch_id).values("user_id")
    ).update(is_active=True)
    return live
