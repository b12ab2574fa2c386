"""Import learners or mentors from CSV/XLSX: parse and check every row first, then write all or nothing.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first person is row 2.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from allauth.account.forms import EmailAwarePasswordResetTokenGenerator, default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils import get_column_letter

from mentorfold.accounts.models import Language, LearnerProfile, Role, User
from mentorfold.core import spreadsheets
from mentorfold.core.audit import audit
from mentorfold.core.mail import MailNotSent, send_templated_mails
from mentorfold.core.models import TaskRun
from mentorfold.core.tracking import task_run_start

from .import_writes import make_live, prepare_people, without_gc_pauses, write_chunk
from .models import ImportBatch, ImportPending, ImportPendingLanguage, ImportWelcome

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 20000
MAX_RAW_ROWS = 2 * MAX_IMPORT_ROWS  # blank rows count too, so a sheet of empty rows cannot run for long
MAX_IMPORT_COLUMNS = 40
MAX_CELL_CHARS = 2000
# An import of 20,000 people takes well under a minute; one still "running" after this was lost.
STALE_IMPORT_AFTER = timedelta(minutes=30)
# csv's own field limit (128 KB) raises a bare csv.Error; a cell can never exceed the file, and longer cells
# are refused below with their row and column. Raising a process-wide limit only ever accepts more.
csv.field_size_limit(max(csv.field_size_limit(), MAX_IMPORT_BYTES))
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0, after its 1900 leap-year bug

COLUMNS = {
    ImportBatch.Kind.LEARNERS: (["email", "full_name", "stage", "date_of_birth"], ["school", "languages"]),
    ImportBatch.Kind.MENTORS: (
        ["email", "full_name", "specialty"],
        ["capacity", "languages", "organization"],
    ),
}

STAGE_ALIASES = {
    "high school": LearnerProfile.Stage.HIGH_SCHOOL,
    "highschool": LearnerProfile.Stage.HIGH_SCHOOL,
    "hs": LearnerProfile.Stage.HIGH_SCHOOL,
    "undergraduate": LearnerProfile.Stage.UNDERGRADUATE,
    "pre-med": LearnerProfile.Stage.UNDERGRADUATE,
    "premed": LearnerProfile.Stage.UNDERGRADUATE,
    "college": LearnerProfile.Stage.UNDERGRADUATE,
    "medical student": LearnerProfile.Stage.MEDICAL_STUDENT,
    "med student": LearnerProfile.Stage.MEDICAL_STUDENT,
    "resident": LearnerProfile.Stage.RESIDENT,
}


def _row_error(row: int, column: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "message": message}


def _clean_cell(value: Any) -> Any:
    if isinstance(value, str):
        # Non-breaking spaces and zero-width characters come with copy-paste from web pages.
        value = value.replace("\u00a0", " ").replace("\ufeff", "").replace("\u200b", "")
        return " ".join(value.split())
    return value


def _header_name(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(_clean_cell(value) or "").strip().lower())


def _column_label(index: int, header: list[str] | None) -> str:
    if header is not None and index < len(header) and header[index]:
        return header[index]
    return get_column_letter(index + 1)


def _check_cells(number: int, cells: list[Any], header: list[str] | None) -> None:
    for index, value in enumerate(cells):
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise ValidationError(
                {
                    "file": ValidationError(
                        _(
                            "File: row %(row)d, column %(column)s has %(length)s characters; the limit is "
                            "%(limit)s. Shorten that cell and upload the file again."
                        )
                        % {
                            "row": number,
                            "column": _column_label(index, header),
                            "length": f"{len(value):,}",
                            "limit": f"{MAX_CELL_CHARS:,}",
                        },
                        code="cell_too_long",
                    )
                }
            )


def _too_many_rows() -> ValidationError:
    return ValidationError(
        {
            "file": ValidationError(
                _("File: at most %(n)d people per import. Split the list.") % {"n": MAX_IMPORT_ROWS},
                code="too_many_rows",
            )
        }
    )


def read_table(*, name: str, data: bytes) -> tuple[list[str], list[list[Any]]]:
    """Header and data rows of a CSV (UTF-8, with or without BOM) or XLSX file; raises ValidationError.

    Rows are streamed and checked as they are read (row count, cell length), so a hostile file is refused
    before it is fully parsed; an XLSX archive is checked before openpyxl opens it.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            {"file": _("File: the limit for imports is 5 MB. Split the list into smaller files.")}
        )
    lowered = name.lower()
    raw_rows: Iterable[Sequence[Any]]
    if lowered.endswith(".xlsx") or data[:2] == b"PK":
        raw_rows = _read_xlsx(data)
    elif lowered.endswith((".csv", ".txt")):
        raw_rows = _read_csv(data)
    else:
        raise ValidationError({"file": _("File: upload a .csv or .xlsx file.")})
    header: list[str] | None = None
    rows: list[list[Any]] = []
    raw_count = 0
    for raw in raw_rows:
        raw_count += 1
        if raw_count > MAX_RAW_ROWS:
            raise _too_many_rows()
        cells = list(raw[:MAX_IMPORT_COLUMNS])
        while cells and cells[-1] in (None, ""):
            cells.pop()  # openpyxl pads rows to the column limit
        if not any(_clean_cell(c) not in (None, "") for c in cells):
            continue
        _check_cells(len(rows) + (1 if header is None else 2), cells, header)
        if header is None:
            header = [_header_name(c) for c in cells]
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            raise _too_many_rows()
        rows.append(cells)
    if header is None:
        raise ValidationError({"file": _("File: it is empty. The first row must name the columns.")})
    return header, rows


def _read_csv(data: bytes) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            {"file": _("File: save the CSV as UTF-8 (in Excel: Save As → CSV UTF-8) and upload it again.")}
        ) from None
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        yield from reader
    except csv.Error:
        raise ValidationError(
            {
                "file": ValidationError(
                    _(
                        "File: line %(line)d could not be read as CSV (an unclosed quote or a broken cell). "
                        "Open the file in a spreadsheet, save it as CSV UTF-8 and upload it again."
                    )
                    % {"line": reader.line_num},
                    code="bad_csv",
                )
            }
        ) from None


XLSX_REFUSALS = {
    "too_big_unpacked": gettext_lazy(
        "File: this workbook unpacks to far more data than a list of people needs. Copy the people into a "
        "new workbook (or save it as CSV UTF-8) and upload that."
    ),
    "suspicious_compression": gettext_lazy(
        "File: this workbook unpacks to far more data than a list of people needs. Copy the people into a "
        "new workbook (or save it as CSV UTF-8) and upload that."
    ),
    "too_many_parts": gettext_lazy(
        "File: this workbook has too many parts. Save the list as CSV UTF-8 and upload that."
    ),
    "not_a_workbook": gettext_lazy("File: this is not a readable .xlsx workbook."),
}


def _read_xlsx(data: bytes) -> Iterator[tuple[Any, ...]]:
    try:
        yield from spreadsheets.iter_xlsx_rows(data, max_columns=MAX_IMPORT_COLUMNS)
    except spreadsheets.SpreadsheetRefused as refused:
        raise ValidationError(
            {"file": ValidationError(XLSX_REFUSALS[refused.kind], code=f"xlsx_{refused.kind}")}
        ) from None


def parse_date(value: Any) -> date:
    """A date from a spreadsheet: a real date, an Excel serial number, or text like 2009-04-17 or 4/17/2009."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 1 <= value < 2958466:
            raise ValueError("serial out of range")
        return EXCEL_EPOCH + timedelta(days=int(value))
    text = str(value or "").strip()
    if re.fullmatch(r"\d{1,5}(\.0+)?", text):
        return parse_date(int(float(text)))
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def _parse_stage(value: str) -> str:
    key = value.strip().lower().replace("_", " ")
    if key.replace(" ", "_") in LearnerProfile.Stage.values:
        return key.replace(" ", "_")
    for stage in LearnerProfile.Stage:
        if key == str(stage.label).lower():
            return stage.value
    if key in STAGE_ALIASES:
        return STAGE_ALIASES[key]
    raise ValueError(value)


def parse_people(
    *,
    kind: str,
    header: list[str],
    rows: Iterable[list[Any]],
    today: date | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Check every row; returns (clean rows, errors). Nothing is written."""
    today = today or timezone.localdate()
    required, optional = COLUMNS[ImportBatch.Kind(kind)]
    missing = [c for c in required if c not in header]
    if missing:
        return [], [
            _row_error(
                1,
                c,
                _("Column %(col)s is missing. The first row must name these columns: %(cols)s.")
                % {"col": c, "cols": ", ".join(required)},
            )
            for c in missing
        ]
    languages = {}
    for code, name in Language.objects.values_list("code", "name"):
        languages[code.lower()] = code
        languages[name.lower()] = code
    errors: list[dict[str, Any]] = []
    clean: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    position = {c: header.index(c) for c in required + optional if c in header}
    parsed_rows: list[tuple[int, dict[str, Any]]] = []
    for offset, raw in enumerate(rows):
        number = offset + 2
        cells = {c: _clean_cell(raw[i]) if i < len(raw) else None for c, i in position.items()}
        parsed_rows.append((number, cells))
    emails = [str(cells.get("email") or "").lower() for _n, cells in parsed_rows]
    existing = set(User.objects.filter(email__in=[e for e in emails if e]).values_list("email", flat=True))
    for number, cells in parsed_rows:
        row_errors: list[dict[str, Any]] = []
        out: dict[str, Any] = {"row": number}

        def fail(column: str, message: str, number: int = number, row_errors: list = row_errors) -> None:
            row_errors.append(_row_error(number, column, message))

        for column in required:
            if cells.get(column) in (None, ""):
                fail(column, _("%(col)s is empty; fill it in.") % {"col": column})
        email = str(cells.get("email") or "").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                fail("email", _("%(value)s is not an e-mail address.") % {"value": email})
            else:
                if email in seen:
                    fail(
                        "email",
                        _("%(email)s is also on row %(row)d; each person may appear once.")
                        % {"email": email, "row": seen[email]},
                    )
                elif email in existing:
                    fail(
                        "email",
                        _("%(email)s already has an account; remove the row or edit that person instead.")
                        % {"email": email},
                    )
                seen.setdefault(email, number)
        out["email"] = email
        out["full_name"] = str(cells.get("full_name") or "")[:150]
        codes: list[str] = []
        for part in re.split(r"[,;/]", str(cells.get("languages") or "")):
            part = part.strip().lower()
            if not part:
                continue
            if part in languages:
                codes.append(languages[part])
            else:
                fail(
                    "languages",
                    _("Unknown language %(value)s; use names like Spanish, Vietnamese, Somali.")
                    % {"value": part},
                )
        out["languages"] = sorted(set(codes))
        if kind == ImportBatch.Kind.LEARNERS:
            if cells.get("stage"):
                try:
                    out["stage"] = _parse_stage(str(cells["stage"]))
                except ValueError:
                    fail(
                        "stage",
                        _(
                            "%(value)s is not a stage; use high school, undergraduate, medical student or resident."
                        )
                        % {"value": cells["stage"]},
                    )
            if cells.get("date_of_birth") not in (None, ""):
                try:
                    dob = parse_date(cells["date_of_birth"])
                except ValueError:
                    fail(
                        "date_of_birth",
                        _("%(value)s is not a date; use the format 2009-04-17.")
                        % {"value": cells["date_of_birth"]},
                    )
                else:
                    age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
                    if dob > today or age < 13 or dob.year < 1931:
                        fail(
                            "date_of_birth",
                            _("%(value)s is not a plausible birth date; learners are 13 or older.")
                            % {"value": dob.isoformat()},
                        )
                    out["date_of_birth"] = dob.isoformat()
            out["school"] = str(cells.get("school") or "")[:200]
        else:
            out["specialty"] = str(cells.get("specialty") or "")[:100]
            out["organization"] = str(cells.get("organization") or "")[:200]
            capacity = cells.get("capacity")
            out["capacity"] = 2
            if capacity not in (None, ""):
                try:
                    out["capacity"] = int(float(str(capacity)))
                    if not 0 <= out["capacity"] <= 30:
                        raise ValueError
                except ValueError:
                    fail("capacity", _("%(value)s: use a whole number from 0 to 30.") % {"value": capacity})
        if row_errors:
            errors.extend(row_errors)
        else:
            clean.append(out)
    return clean, errors


def import_batch_create(*, actor: User, kind: str, name: str, data: bytes) -> ImportBatch:
    """Parse and check an uploaded file; store the result for the preview page. Writes no people.

    Parsing and checking run outside any transaction (they can take seconds on a big file); only the short
    insert of the batch row is a write.
    """
    if not actor.has_role(Role.COORDINATOR):
        raise PermissionDenied
    import_batches_recover()  # an earlier import's leftovers must not make these people look taken
    header, rows = read_table(name=name, data=data)
    clean, errors = parse_people(kind=kind, header=header, rows=rows)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=kind, original_name=name[:200], rows=clean, errors=errors, created_by=actor
        )
        audit(
            actor=actor,
            action="import.preview",
            target=batch,
            data={"rows": len(clean) + len({e["row"] for e in errors}), "errors": len(errors)},
        )
    return batch


def import_batch_start(*, batch: ImportBatch, actor: User, enqueue: Callable[[ImportBatch], Any]) -> Any:
    """Claim a checked batch for importing and start one task for it; a second claim is refused.

    ``enqueue(batch)`` creates the tracked task run (it is enqueued when this transaction commits) and
    returns it. The claim is a conditional UPDATE, so two clicks or two coordinators start one task.
    """
    if not actor.has_role(Role.COORDINATOR):
        raise PermissionDenied
    if batch.has_errors:
        raise ValidationError(_("Nothing was imported: fix the rows listed below and upload the file again."))
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEW).update(
            status=ImportBatch.Status.RUNNING
        )
        if not claimed:
            raise ValidationError(_("This import was already started."), code="already_started")
        run = enqueue(batch)
        ImportBatch.objects.filter(pk=batch.pk).update(task_run_id=run.pk)
        audit(actor=actor, action="import.start", target=batch)
    return run


def import_batch_fail(*, batch_id: int) -> bool:
    """Mark a batch failed only while it is running, and remove what it wrote but never made live.

    A finished import is never turned into a failure.
    """
    failed = bool(
        ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.RUNNING).update(
            status=ImportBatch.Status.FAILED
        )
    )
    import_pending_discard(batch_id=batch_id)
    return failed


def import_batch_reconcile(batch: ImportBatch, *, now: datetime | None = None) -> ImportBatch:
    """A batch left 'running' by a failed or vanished task is marked failed, explicitly and conditionally.

    The task failed (its TaskRun says so, e.g. ``task_runs_recover`` after a killed worker), or it never
    finished within ``STALE_IMPORT_AFTER``. Marking it failed is safe: a late task finds the batch failed and
    writes nothing more; the accounts it had written but not made live are removed.
    """
    if batch.status != ImportBatch.Status.RUNNING or batch.task_run_id is None:
        return batch
    cutoff = (now or timezone.now()) - STALE_IMPORT_AFTER
    runs = TaskRun.objects.filter(pk=batch.task_run_id)
    failed = runs.filter(status=TaskRun.Status.FAILED).exists()
    if not failed:
        failed = bool(
            runs.filter(
                status__in=[TaskRun.Status.QUEUED, TaskRun.Status.RUNNING], created_at__lt=cutoff
            ).update(
                status=TaskRun.Status.FAILED,
                message=_("The import did not finish; nothing was written. Upload the file again."),
                finished_at=timezone.now(),
            )
        )
    if failed:
        import_batch_fail(batch_id=batch.pk)
        batch.refresh_from_db(fields=["status"])
    return batch


def import_batches_recover() -> None:
    """Settle every import a dead task left behind: mark it failed and remove its not-live accounts.

    Cheap when there is nothing to do (two small queries); run before each new upload is checked, so a
    re-upload of the same people is never refused because of an earlier import's leftovers.
    """
    running = ImportBatch.objects.filter(status=ImportBatch.Status.RUNNING, task_run_id__isnull=False)
    for batch in running.only("pk", "status", "task_run_id"):
        import_batch_reconcile(batch)
    leftover = ImportPending.objects.filter(
        batch__status__in=[ImportBatch.Status.FAILED, ImportBatch.Status.DONE]
    )
    for batch_id in set(leftover.values_list("batch_id", flat=True)[:1000]):
        import_pending_discard(batch_id=batch_id)  # a finished batch's rows are only forgotten


# People removed per transaction when a failed import is cleaned up.
DISCARD_CHUNK = 500


def import_pending_discard(*, batch_id: int, user_ids: Sequence[int] | None = None) -> int:
    """Delete the accounts a batch wrote but never made live (all of them, or only ``user_ids``).

    Never touches a finished batch: its people went live in the transaction that marked it done (its pending
    rows, if any are left, are only forgotten). Only inactive accounts with a pending row of this batch are
    removed. Short transactions.
    """
    if ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.DONE).exists():
        _forget_pending(batch_id)
        return 0
    pending = ImportPending.objects.filter(batch_id=batch_id)
    if user_ids is not None:
        ids = list(user_ids)
        chunks: Iterable[list[int]] = (ids[i : i + DISCARD_CHUNK] for i in range(0, len(ids), DISCARD_CHUNK))
    else:
        chunks = iter(lambda: list(pending.values_list("user_id", flat=True)[:DISCARD_CHUNK]), [])
    removed = 0
    for chunk in chunks:
        try:
            gone = _discard_chunk(batch_id, chunk, quick=True)
        except IntegrityError:
            # Something unexpected refers to one of these accounts: let the ORM delete what refers to them.
            gone = _discard_chunk(batch_id, chunk, quick=False)
        if gone is None:
            return removed  # went live meanwhile: nothing of it is to be removed
        removed += gone
    return removed


def _discard_chunk(batch_id: int, chunk: list[int], *, quick: bool) -> int | None:
    """Remove one chunk of a batch's not-live accounts in one transaction; None if the batch went live.

    ``quick`` deletes from the tables an import writes, with one statement each (an import's pending account
    is referred to by nothing else: nobody can see it or sign in). A reference from anywhere else makes the
    transaction fail at commit (foreign keys are checked there), and the caller retries with the ORM's
    cascade, which looks in every related table.
    """
    with transaction.atomic(), without_gc_pauses():
        if ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.DONE).exists():
            return None
        mine = list(
            ImportPending.objects.filter(
                batch_id=batch_id, user_id__in=chunk, user__is_active=False
            ).values_list("user_id", flat=True)
        )
        ImportPendingLanguage.objects.filter(batch_id=batch_id, user_id__in=mine).delete()
        EmailAddress.objects.filter(user_id__in=mine).delete()
        if not quick:
            return User.objects.filter(pk__in=mine, is_active=False).delete()[1].get(User._meta.label, 0)
        ImportPending.objects.filter(batch_id=batch_id, user_id__in=mine).delete()
        User.groups.through.objects.filter(user_id__in=mine).delete()
        return _delete_inactive_users(mine)


def _delete_inactive_users(ids: list[int]) -> int:
    if not ids:
        return 0
    q = connection.ops.quote_name
    # Only the model's table and column names go into the SQL text; ids and the flag are parameters.
    sql = (
        f"DELETE FROM {q(User._meta.db_table)} WHERE {q('id')} IN ({', '.join(['%s'] * len(ids))}) "  # noqa: S608
        f"AND {q('is_active')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, False])
        return cursor.rowcount


# Pending rows of a live batch deleted per transaction.
FORGET_CHUNK = 2000


def _forget_pending(batch_id: int) -> None:
    """Delete the pending rows of a batch that went live (its people stay), in short transactions."""
    for model in (ImportPendingLanguage, ImportPending):
        while True:
            with transaction.atomic(), without_gc_pauses():
                ids = list(
                    model.objects.filter(batch_id=batch_id).values_list("pk", flat=True)[:FORGET_CHUNK]
                )
                model.objects.filter(pk__in=ids).delete()
            if len(ids) < FORGET_CHUNK:
                break


# People written per transaction before the batch goes live: each chunk holds the write lock ~0.1 s.
IMPORT_CHUNK = 1000


def import_batch_commit(
    *, batch: ImportBatch, actor: User, report: Callable[[int, str], None] | None = None
) -> int:
    """Create everyone in the batch, all or nothing, without ever holding the write lock for long.

    The rows were parsed and checked at upload; here they are re-checked and turned into database values
    outside any transaction. Then accounts are written in short chunks, not yet live (inactive, no
    profile: invisible to every page, count, export and to sign-in), and finally one short transaction makes
    the whole batch live with a few set-based statements, after re-checking that the batch is still to be run
    and that nobody took one of the addresses meanwhile. On any failure what was written is removed; a killed
    task's leftovers are removed by ``import_batch_reconcile``. Returns the count.
    """
    if not actor.has_role(Role.COORDINATOR):
        raise PermissionDenied
    report = report or (lambda percent, message: None)
    batch = ImportBatch.objects.get(pk=batch.pk)
    _check_committable(batch)
    report(10, _("Checking that nobody joined since the preview"))
    emails = [r["email"] for r in batch.rows]
    _check_not_taken(emails)
    report(20, _("Preparing accounts and profiles"))
    prepared = prepare_people(batch)
    written: list[int] = []
    try:
        for start in range(0, len(emails), IMPORT_CHUNK):
            report(20 + 70 * start // max(len(emails), 1), _("Creating accounts and profiles"))
            written += write_chunk(batch, prepared, start, start + IMPORT_CHUNK, first=not start)
        with transaction.atomic(), without_gc_pauses():
            # Claim (a conditional UPDATE: it also locks the batch): a batch marked failed meanwhile, or
            # already run, stays as it is and this import is undone below.
            claimed = ImportBatch.objects.filter(
                pk=batch.pk, status__in=[ImportBatch.Status.PREVIEW, ImportBatch.Status.RUNNING]
            ).update(status=ImportBatch.Status.DONE, created_count=len(emails))
            if not claimed:
                raise ValidationError(_("This import was already run."))
            _check_addresses_free(batch.pk)
            live = make_live(batch.pk, prepared)
            if live != len(emails):
                raise RuntimeError(f"import {batch.pk}: {live} of {len(emails)} people were ready")
            audit(
                actor=actor, action="import.commit", target=batch, data={"created": live, "kind": batch.kind}
            )
            _start_welcome(batch, actor)
    except Exception as error:
        # Undo exactly what this run wrote (a killed worker undoes nothing: import_batch_reconcile does).
        import_pending_discard(batch_id=batch.pk, user_ids=written)
        if isinstance(error, IntegrityError):
            # Someone signed up with one of these addresses meanwhile (the unique index said so).
            _check_not_taken(emails)
        raise
    _forget_pending(batch.pk)  # after going live: the people stay, the bookkeeping goes
    report(90, _("Everyone is imported; invitations are being sent"))
    return live


def _check_committable(batch: ImportBatch) -> None:
    if batch.status not in {ImportBatch.Status.PREVIEW, ImportBatch.Status.RUNNING}:
        raise ValidationError(_("This import was already run."))
    if batch.errors:
        raise ValidationError(
            _("Fix the rows with problems and upload the file again; nothing was imported.")
        )
    if ImportPending.objects.filter(batch_id=batch.pk).exists():
        raise ValidationError(_("This import was already started."), code="already_started")


def _check_not_taken(emails: list[str]) -> None:
    taken = list(User.objects.filter(email__in=emails).values_list("email", flat=True)[:5])
    if taken:
        raise ValidationError(
            _("These people joined since the preview: %(emails)s. Upload the file again.")
            % {"emails": ", ".join(taken)}
        )


def _check_addresses_free(batch_id: int) -> None:
    """No one else's account holds one of the batch's addresses (as a second address, say)."""
    q = connection.ops.quote_name
    # Only model table and column names go into the SQL text; the batch id is a parameter.
    sql = (
        f"SELECT a.{q('email')} FROM {q(ImportPending._meta.db_table)} p "  # noqa: S608
        f"JOIN {q(User._meta.db_table)} u ON u.id = p.user_id "
        f"JOIN {q(EmailAddress._meta.db_table)} a ON a.{q('email')} = u.{q('email')} AND a.user_id <> p.user_id "
        "WHERE p.batch_id = %s LIMIT 5"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [batch_id])
        taken = [row[0] for row in cursor.fetchall()]
    if taken:
        raise ValidationError(
            _("These people joined since the preview: %(emails)s. Upload the file again.")
            % {"emails": ", ".join(taken)}
        )


WELCOME_BATCH = 200


class _PreloadedEmailTokens(EmailAwarePasswordResetTokenGenerator):
    """allauth's password-reset tokens, with every person's addresses read in one query for a whole batch.

    allauth's generator reads a person's addresses (two queries) for each token; the hash value here is the
    same, so allauth's own ``check_token`` accepts these links.
    """

    def __init__(self, emails_of: dict[int, set[str]]) -> None:
        super().__init__()
        self.emails_of = emails_of

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        base = PasswordResetTokenGenerator._make_hash_value(self, user, timestamp)
        return base + "|".join(sorted(self.emails_of.get(user.pk, set()) | {user.email}))


def _tokens_for(users: list[User]) -> PasswordResetTokenGenerator:
    if type(default_token_generator) is not EmailAwarePasswordResetTokenGenerator:
        return default_token_generator  # a project-specific generator: use it as it is
    emails_of: dict[int, set[str]] = {}
    for user_id, email in EmailAddress.objects.filter(user__in=users).values_list("user_id", "email"):
        emails_of.setdefault(user_id, set()).add(email)
    return _PreloadedEmailTokens(emails_of)


def _start_welcome(batch: ImportBatch, actor: User) -> None:
    """Start the invitations task when the import commits (its own task: a mail failure never undoes it)."""
    from .tasks import send_import_welcome  # the tasks module imports this one

    task_run_start(
        task=send_import_welcome,
        kind="programs.import_welcome",
        label=_("Invitations for %(name)s") % {"name": batch.original_name},
        user=actor,
        batch_id=batch.pk,
        actor_id=actor.pk,
    )


def import_welcome_send(
    *,
    batch_id: int,
    actor: User,
    report: Callable[[int, str], None] | None = None,
    batch_size: int = WELCOME_BATCH,
) -> int:
    """Invite everyone a finished import created, in batches; returns the number of mails sent.

    Each batch is claimed in the sent-log (``ImportWelcome``) in a short transaction under the batch's row
    lock, committed, and only then sent: a retried task, or two at once, never invites anyone twice. Imported
    people choose their password through a one-time link (allauth's password-reset key).
    """
    report = report or (lambda percent, message: None)
    batch = ImportBatch.objects.only("pk", "status", "rows").get(pk=batch_id)
    if batch.status != ImportBatch.Status.DONE:
        return 0
    emails = sorted(r["email"] for r in batch.rows)
    sent = 0
    for start in range(0, len(emails), batch_size):
        chunk = emails[start : start + batch_size]
        with transaction.atomic(), without_gc_pauses():
            ImportBatch.objects.select_for_update().filter(pk=batch_id).values_list("pk", flat=True).first()
            done = set(
                ImportWelcome.objects.filter(batch_id=batch_id, user__email__in=chunk).values_list(
                    "user__email", flat=True
                )
            )
            users = list(
                # Everything the mail and its one-time link read, so no person costs another query.
                User.objects.filter(email__in=[e for e in chunk if e not in done]).only(
                    "pk", "email", "password", "last_login", "full_name"
                )
            )
            now = timezone.now()
            ImportWelcome.objects.bulk_create(
                [ImportWelcome(batch_id=batch_id, user=u, sent_at=now) for u in users]
            )
        tokens = _tokens_for(users)
        letters = [
            (
                user.email,
                {
                    "user": user,
                    "url": reverse(
                        "account_reset_password_from_key",
                        kwargs={"uidb36": user_pk_to_url_str(user), "key": tokens.make_token(user)},
                    ),
                },
            )
            for user in users
        ]
        try:
            sent += send_templated_mails(
                letters=letters,
                subject=gettext_lazy("You are invited to Mentorfold"),
                template="programs/email/imported_welcome.txt",
                context={"invited_by": actor},
            )
        except MailNotSent as stopped:
            # These mails never left: give their claims back, so a retry sends them (and only them).
            ImportWelcome.objects.filter(batch_id=batch_id, user__in=users[stopped.sent :]).delete()
            raise
        report(
            int(100 * min(start + batch_size, len(emails)) / len(emails)),
            _("Invitations sent: %(n)d") % {"n": sent},
        )
    return sent
