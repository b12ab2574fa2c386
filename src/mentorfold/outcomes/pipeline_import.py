"""Coordinator import of learners' pipeline steps (``email, stage, since, note``): check every row, then write
all or nothing.

Reading reuses ``programs.importing.read_table`` (size and row caps, CSV sniffing, XLSX bomb checks). Rows are
numbered as a spreadsheet shows them: the header is row 1. Small files are written at once; larger ones in a
background task that reports progress. The claim (``PREVIEW`` to ``RUNNING``) is a conditional update, so two
clicks start one import, and a task that finds the import no longer running writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorfold.accounts.models import LearnerProfile, Role
from mentorfold.core.audit import audit
from mentorfold.programs.importing import parse_date, read_table

from .models import PipelineImport, PipelineStage

REQUIRED = ("email", "stage", "since")
OPTIONAL = ("note",)
SYNC_LIMIT = 300  # rows written during the request; more go to a background task with progress
WRITE_CHUNK = 500
MAX_NOTE = 300
FORMULA_START = ("=", "+", "-", "@")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
HEADER_ALIASES = {"e_mail": "email", "reached_on": "since", "date": "since", "where": "stage"}


def _is_coordinator(actor: Any) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.has_role(Role.COORDINATOR))


def _text(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).replace("\u00a0", " ").replace("\ufeff", "").replace("\u200b", "").split())


def _stage(value: str) -> str | None:
    key = value.strip().lower()
    for stage in PipelineStage.Stage:
        if key in {stage.value, stage.value.replace("_", " "), str(stage.label).lower()}:
            return stage.value
    return None


def _error(row: int, column: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "message": message}


def parse_pipeline_rows(
    *, header: list[str], rows: list[list[Any]], today: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Checked rows ready to write, and row errors (``row``, ``column``, ``message``); 1 query."""
    names = [HEADER_ALIASES.get(h, h) for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ValidationError(
            {
                "file": _(
                    "File: the first row must name the columns email, stage and since (note is optional); "
                    "missing: %(missing)s."
                )
                % {"missing": ", ".join(missing)}
            }
        )
    where = {c: names.index(c) for c in (*REQUIRED, *OPTIONAL) if c in names}

    def cell(cells: list[Any], column: str) -> Any:
        index = where.get(column)
        return cells[index] if index is not None and index < len(cells) else None

    emails = {_text(cell(r, "email")).lower() for r in rows}
    learners = dict(LearnerProfile.objects.filter(user__email__in=emails).values_list("user__email", "pk"))
    learners = {email.lower(): pk for email, pk in learners.items()}
    checked: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[tuple[int, str, str], int] = {}
    stages = ", ".join(PipelineStage.Stage.values)
    for number, cells in enumerate(rows, start=2):
        row_errors = []
        raw = {c: cell(cells, c) for c in (*REQUIRED, *OPTIONAL)}
        for column, value in raw.items():
            if isinstance(value, str) and CONTROL.search(value):
                row_errors.append(
                    _error(
                        number,
                        column,
                        _("%(column)s: remove the hidden control characters.") % {"column": column},
                    )
                )
        email = _text(raw["email"]).lower()
        learner_id = learners.get(email)
        if not email:
            row_errors.append(_error(number, "email", _("Email: empty. Give the learner's e-mail address.")))
        elif learner_id is None:
            row_errors.append(
                _error(
                    number,
                    "email",
                    _("Email: no learner with this address. Check the spelling or invite the learner first."),
                )
            )
        stage = _stage(_text(raw["stage"])) if isinstance(raw["stage"], str) else None
        if stage is None:
            row_errors.append(
                _error(number, "stage", _("Stage: use one of %(stages)s.") % {"stages": stages})
            )
        since: date | None = None
        try:
            since = parse_date(raw["since"]) if not isinstance(raw["since"], bool) else None
        except (ValueError, OverflowError):
            since = None
        if since is None:
            row_errors.append(_error(number, "since", _("Since: use a date like 2026-09-01.")))
        elif since > today:
            row_errors.append(
                _error(number, "since", _("Since: this date is in the future. Use today or earlier."))
            )
        note = _text(raw["note"])
        if note.startswith(FORMULA_START):
            row_errors.append(
                _error(
                    number, "note", _("Note: it must not start with =, +, - or @ (a spreadsheet formula).")
                )
            )
        elif len(note) > MAX_NOTE:
            row_errors.append(_error(number, "note", _("Note: at most %(n)d characters.") % {"n": MAX_NOTE}))
        if not row_errors and learner_id is not None and stage is not None and since is not None:
            key = (learner_id, stage, since.isoformat())
            if key in seen:
                row_errors.append(
                    _error(
                        number,
                        "email",
                        _("Duplicate of row %(row)d: remove one of them.") % {"row": seen[key]},
                    )
                )
            else:
                seen[key] = number
                checked.append(
                    {
                        "row": number,
                        "learner": learner_id,
                        "stage": stage,
                        "since": since.isoformat(),
                        "note": note,
                    }
                )
        errors.extend(row_errors)
    if not rows:
        raise ValidationError({"file": _("File: it has no rows under the header.")})
    return checked, errors


def pipeline_import_check(*, actor: Any, name: str, data: bytes, today: date | None = None) -> PipelineImport:
    """Read and check an upload; nothing is written to the pipeline yet. Audited."""
    if not _is_coordinator(actor):
        raise PermissionDenied
    today = today or timezone.localdate()
    header, rows = read_table(name=name, data=data)
    checked, errors = parse_pipeline_rows(header=header, rows=rows, today=today)
    with transaction.atomic():
        batch = PipelineImport.objects.create(
            original_name=_text(name)[:200] or "upload",
            created_by=actor,
            status=PipelineImport.Status.REFUSED if errors else PipelineImport.Status.PREVIEW,
            rows=checked,
            errors=errors,
        )
        audit(
            actor=actor,
            action="pipeline.import.check",
            target=batch,
            data={"rows": len(rows), "errors": len(errors)},
        )
    return batch


def pipeline_import_start(
    *, batch: PipelineImport, actor: Any, enqueue: Callable[[PipelineImport], Any]
) -> Any:
    """Claim a checked import once; write it now if small, else start ``enqueue(batch)`` (a tracked task).

    Returns the TaskRun for a background import, or None when the rows were written already."""
    if not _is_coordinator(actor):
        raise PermissionDenied
    if batch.errors:
        raise ValidationError(_("Nothing was imported: fix the rows listed below and upload the file again."))
    with transaction.atomic():
        claimed = PipelineImport.objects.filter(pk=batch.pk, status=PipelineImport.Status.PREVIEW).update(
            status=PipelineImport.Status.RUNNING
        )
        if not claimed:
            raise ValidationError(_("This import was already started."), code="already_started")
        audit(actor=actor, action="pipeline.import.start", target=batch, data={"rows": len(batch.rows)})
        if len(batch.rows) > SYNC_LIMIT:
            run = enqueue(batch)
            PipelineImport.objects.filter(pk=batch.pk).update(task_run=run)
            return run
    try:
        pipeline_import_commit(batch_id=batch.pk, actor=actor)
    except Exception:
        pipeline_import_fail(batch_id=batch.pk)
        raise
    return None


def pipeline_import_commit(
    *, batch_id: int, actor: Any, report: Callable[[int, str], None] | None = None
) -> int:
    """Write every checked row in one transaction (all or nothing); an entry already recorded is kept."""
    with transaction.atomic():
        batch = PipelineImport.objects.select_for_update().get(pk=batch_id)
        if batch.status != PipelineImport.Status.RUNNING:
            return 0  # failed or finished meanwhile: write nothing
        learner_ids = {row["learner"] for row in batch.rows}
        present = set(LearnerProfile.objects.filter(pk__in=learner_ids).values_list("pk", flat=True))
        gone = sorted(row["row"] for row in batch.rows if row["learner"] not in present)
        if gone:
            raise ValidationError(
                _("Nothing was imported: the learners of rows %(rows)s were removed meanwhile. Upload again.")
                % {"rows": ", ".join(map(str, gone[:20]))}
            )
        now = timezone.now()
        total = len(batch.rows)
        for start in range(0, total, WRITE_CHUNK):
            chunk = batch.rows[start : start + WRITE_CHUNK]
            PipelineStage.objects.bulk_create(
                [
                    PipelineStage(
                        learner_id=row["learner"],
                        stage=row["stage"],
                        reached_on=date.fromisoformat(row["since"]),
                        note=row["note"],
                        source=PipelineStage.Source.IMPORT,
                        recorded_at=now,
                        recorded_by=actor,
                    )
                    for row in chunk
                ],
                ignore_conflicts=True,
            )
            if report is not None:
                report(
                    min(99, int(100 * (start + len(chunk)) / total)),
                    _("%(done)d of %(total)d rows") % {"done": start + len(chunk), "total": total},
                )
        batch.status = PipelineImport.Status.DONE
        batch.written = total
        batch.finished_at = now
        batch.save(update_fields=["status", "written", "finished_at"])
        audit(actor=actor, action="pipeline.import.done", target=batch, data={"rows": total})
    return total


def pipeline_import_fail(*, batch_id: int) -> bool:
    """Mark an import failed only while it is running (a finished one stays finished)."""
    return bool(
        PipelineImport.objects.filter(pk=batch_id, status=PipelineImport.Status.RUNNING).update(
            status=PipelineImport.Status.FAILED, finished_at=timezone.now()
        )
    )
