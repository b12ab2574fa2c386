"""Match runs: freeze the inputs, call the engine, verify its certificate, write the outcome rows.

Called by the background task in ``tasks.py`` (and by tests and the demo directly); imports nothing from
``tasks`` or ``services``, so there is no import circle.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import JSONField, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from scipy.sparse.csgraph import maximum_flow

from mentorfold.core.models import TaskRun
from mentorfold.engine import ENGINE_VERSION
from mentorfold.engine.assign import optimal_assignment
from mentorfold.engine.stable import blocking_pairs, stable_match
from mentorfold.programs.models import Term

from .models import MatchAssignment, MatchRun
from .snapshot import MatchInputs, load_inputs

Progress = Callable[[int, str], None]


def _acceptable_scores(inputs: MatchInputs) -> sp.csr_array:
    """Score matrix over mutually acceptable (learner, mentor) pairs: rows learners, columns mentors."""
    n_l, n_m = len(inputs.learner_ids), len(inputs.mentor_ids)
    ok = inputs.l_acceptable
    rows = np.repeat(np.arange(n_l, dtype=np.int64), np.diff(inputs.l_indptr))[ok]
    return sp.csr_array((inputs.l_scores[ok], (rows, inputs.l_indices[ok])), shape=(n_l, n_m))


def _most_matchable(inputs: MatchInputs) -> int:
    """The largest number of learners any assignment within the lists and capacities could match.

    A maximum flow source → learner (1) → acceptable mentor (1) → sink (the mentor's seats); by max-flow /
    min-cut no assignment matches more. scipy's Dinic runs in C: about 0.2 s at 20,000 learners, where the
    weighted solver on equal scores takes seconds.
    """
    n_l, n_m = len(inputs.learner_ids), len(inputs.mentor_ids)
    ok = inputs.l_acceptable
    if not ok.any() or not n_m:
        return 0
    rows = np.repeat(np.arange(n_l, dtype=np.int64), np.diff(inputs.l_indptr))[ok]
    cols = inputs.l_indices[ok].astype(np.int64)
    sink = n_l + n_m + 1
    src = np.concatenate([np.zeros(n_l, np.int64), 1 + rows, 1 + n_l + np.arange(n_m, dtype=np.int64)])
    dst = np.concatenate([1 + np.arange(n_l, dtype=np.int64), 1 + n_l + cols, np.full(n_m, sink, np.int64)])
    cap = np.concatenate([np.ones(n_l + rows.size, np.int64), inputs.capacities.astype(np.int64)])
    graph = sp.csr_matrix((cap.astype(np.int32), (src, dst)), shape=(sink + 1, sink + 1))
    return int(maximum_flow(graph, 0, sink).flow_value)


def _engine(inputs: MatchInputs) -> tuple[np.ndarray, dict[str, Any]]:
    """Run the engine; the certificate is re-checked by the engine's own verifier before it is stored."""
    n_l, n_m = len(inputs.learner_ids), len(inputs.mentor_ids)
    if inputs.method == MatchRun.Method.STABLE:
        l_prefs = (inputs.l_indptr, inputs.l_indices)
        m_prefs = (inputs.m_indptr, inputs.m_indices)
        match = stable_match(l_prefs, m_prefs, inputs.capacities)
        blocking = blocking_pairs(match, l_prefs, m_prefs, inputs.capacities)
        # Stability does not promise the most learners matched; say how far from that it is.
        return match, {
            "kind": "stable",
            "blocking_pairs": len(blocking),
            "examples": blocking[:5],
            "matched": int((match >= 0).sum()),
            "most_matchable": _most_matchable(inputs),
        }
    match = np.full(n_l, -1, dtype=np.int64)
    if inputs.l_acceptable.any() and n_m:
        result = optimal_assignment(_acceptable_scores(inputs), inputs.capacities, allow_partial=True)
        verified_gap = float(result.verify())  # raises ValueError if pairs or certificate do not hold
        match[result.pairs[:, 0]] = result.pairs[:, 1]
        cert = result.certificate
        return match, {
            "kind": "optimal",
            "objective": cert.objective,
            "bound": cert.bound,
            "gap": cert.gap,
            "tolerance": cert.tolerance,
            "verified_gap": verified_gap,
            "verified": True,
            "is_optimal": bool(cert.is_optimal) and verified_gap <= cert.tolerance,
            "matched": int(result.pairs.shape[0]),
        }
    return match, {
        "kind": "optimal",
        "objective": 0.0,
        "bound": 0.0,
        "gap": 0.0,
        "tolerance": 0.0,
        "verified_gap": 0.0,
        "verified": True,
        "is_optimal": True,
        "matched": 0,
    }


def _outcomes(inputs: MatchInputs, match: np.ndarray) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """Outcome rows (learner, mentor, site, rank, score, reason, choices JSON) and the run's statistics.

    ``choices`` codes every mentor the learner ranked: matched, lower, not_eligible, not_accepted, full (for a
    stable run: full with learners they ranked higher, which stability guarantees) or total (optimal run: a
    free seat, but using it would lower the total score — the rule of ``engine.assign.explain``).
    """
    n_m = len(inputs.mentor_ids)
    load = np.bincount(match[match >= 0], minlength=n_m)
    full = load >= inputs.capacities
    stable = inputs.method == MatchRun.Method.STABLE
    indptr = inputs.l_indptr.tolist()
    indices = inputs.l_indices.tolist()
    ranks = inputs.l_ranks.tolist()
    sites = inputs.l_sites.tolist()
    scores = inputs.l_scores.tolist()
    acceptable = inputs.l_acceptable.tolist()
    full_list = full.tolist()
    mentor_ids = inputs.mentor_ids
    match_list = match.tolist()
    max_rank = 0
    histogram: dict[str, int] = {}
    rows: list[tuple[Any, ...]] = []
    for i, learner_id in enumerate(inputs.learner_ids):
        j = match_list[i]
        lo, hi = indptr[i], indptr[i + 1]
        matched_entry = None
        if j >= 0:
            matched_entry = next(e for e in range(lo, hi) if indices[e] == j)
        matched_rank = ranks[matched_entry] if matched_entry is not None else None
        choices: list[list[Any]] = []
        e = lo
        for mentor_id, rank, eligible in inputs.rankings[i]:
            if not eligible:
                code = "not_eligible"
                choices.append([mentor_id, code])
                continue
            # eligible entries appear in the CSR row in the same order as in the ranking
            entry, e = e, e + 1
            if matched_rank is not None and rank == matched_rank:
                code = "matched"
            elif matched_rank is not None and rank > matched_rank:
                code = "lower"
            else:
                if not acceptable[entry]:
                    code = "not_accepted"
                elif stable or full_list[indices[entry]]:
                    code = "full"
                else:
                    code = "total"
            choices.append([mentor_id, code])
        if matched_entry is not None:
            reason = MatchAssignment.Reason.MATCHED
            key = str(matched_rank)
            max_rank = max(max_rank, matched_rank or 0)
        else:
            codes = {c for _m, c in choices}
            if not choices:
                reason = MatchAssignment.Reason.NO_CHOICES
            elif codes == {"not_eligible"}:
                reason = MatchAssignment.Reason.NOT_CLEARED
            elif codes <= {"full", "not_eligible"}:
                reason = MatchAssignment.Reason.ALL_FULL
            else:
                reason = MatchAssignment.Reason.NOT_ACCEPTED
            key = "unmatched"
        histogram[key] = histogram.get(key, 0) + 1
        rows.append(
            (
                learner_id,
                mentor_ids[j] if matched_entry is not None else None,
                sites[matched_entry] if matched_entry is not None else None,
                matched_rank,
                round(scores[matched_entry], 6) if matched_entry is not None else None,
                str(reason),
                json.dumps(choices),
            )
        )
    matched = int((match >= 0).sum())
    seats = int(inputs.capacities.sum())
    stats = {
        "learners": len(inputs.learner_ids),
        "mentors": n_m,
        "seats": seats,
        "matched": matched,
        "unmatched": len(inputs.learner_ids) - matched,
        "first_choice": histogram.get("1", 0),
        "histogram": [[str(r), histogram.get(str(r), 0)] for r in range(1, max(max_rank, 1) + 1)]
        + [["unmatched", histogram.get("unmatched", 0)]],
        "fill_rate": round(matched / seats, 4) if seats else 0.0,
        "mentors_full": int(full[inputs.capacities > 0].sum()),
        "preferences": int(inputs.l_indptr[-1]),
    }
    return rows, stats


WRITE_BATCH = 5000  # outcome rows per transaction: well under a second of write lock each


def _insert_assignments(*, run_id: int, rows: list[tuple[Any, ...]]) -> None:
    """One executemany per batch: bulk_create's per-object work costs seconds at 20,000 learners."""
    table = connection.ops.quote_name(MatchAssignment._meta.db_table)
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    columns = "run_id, learner_id, mentor_id, site_id, rank, score, reason, choices"
    # The table name comes from model metadata and every value is a query parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s{cast})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(run_id, *row) for row in rows])


def _db_value(run: MatchRun, name: str) -> Any:
    """A field's new value for ``update()``; JSON already encoded, so no serialising under the write lock."""
    value = getattr(run, name)
    if not isinstance(MatchRun._meta.get_field(name), JSONField):
        return value
    text = Value(json.dumps(value), output_field=TextField())
    return Cast(text, JSONField()) if connection.vendor == "postgresql" else text


def _write_outcomes(*, run_id: int, rows: list[tuple[Any, ...]], batch: int) -> None:
    """Outcome rows in short transactions of their own, while the run is still "running".

    Nobody sees them before the run is marked finished: pages show a run's rows only once it has statistics,
    and publication takes only a finished run. Rows of an earlier attempt (a retry after a failure or a killed
    worker) are removed first, so the run never holds a learner twice.
    """
    for start in range(0, max(len(rows), 1), batch):
        with transaction.atomic():
            if not start:
                MatchAssignment.objects.filter(run_id=run_id).delete()
            if rows:
                _insert_assignments(run_id=run_id, rows=rows[start : start + batch])


def match_run_execute(
    *, match_run: MatchRun, progress: Progress | None = None, batch: int = WRITE_BATCH
) -> MatchRun:
    """Load and freeze the inputs, run the engine, write the outcome rows; a fixed number of queries.

    Nothing is computed inside a transaction. The outcome rows go in batches of short transactions; one last
    short transaction marks the run finished only if it is still running (a run marked failed meanwhile stays
    failed), which is the moment the whole result becomes visible at once.
    """
    report = progress or (lambda percent, message: None)
    run = match_run
    term = Term.objects.select_related("program").get(pk=run.term_id)
    MatchRun.objects.filter(pk=run.pk).update(status=MatchRun.Status.RUNNING)
    t0 = time.perf_counter()
    report(5, _("Reading rankings and capacities"))
    inputs = load_inputs(term=term, method=run.method, seed=run.seed, on=timezone.localdate())
    frozen = inputs.to_json()
    t1 = time.perf_counter()
    report(40, _("Running the matching engine"))
    match, certificate = _engine(inputs)
    t2 = time.perf_counter()
    report(70, _("Saving the result"))
    rows, stats = _outcomes(inputs, match)
    _write_outcomes(run_id=run.pk, rows=rows, batch=batch)
    run.inputs = frozen
    run.inputs_sha256 = inputs.sha256()
    run.parameters = {"weights": inputs.weights, "method": run.method, "seed": run.seed}
    run.result = {"match": match.tolist()}
    run.stats = stats
    run.certificate = certificate
    run.engine_version = ENGINE_VERSION
    run.status = MatchRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.load_ms = round((t1 - t0) * 1000)
    run.engine_ms = round((t2 - t1) * 1000)
    fields = [
        "inputs",
        "inputs_sha256",
        "parameters",
        "result",
        "stats",
        "certificate",
        "engine_version",
        "status",
        "finished_at",
        "load_ms",
        "engine_ms",
        "write_ms",
    ]
    # The JSON columns are serialised here, outside the transaction (several MB at 20,000 learners).
    values = {name: _db_value(run, name) for name in fields if name != "write_ms"}
    with transaction.atomic():
        values["write_ms"] = run.write_ms = round((time.perf_counter() - t2) * 1000)
        finished = MatchRun.objects.filter(pk=run.pk, status=MatchRun.Status.RUNNING).update(**values)
        if not finished:
            raise ValidationError(_("This run was stopped before it finished. Start a new run."))
    report(100, _("Done"))
    return run


def match_runs_recover() -> list[int]:
    """Runs whose job was marked failed while they were queued or running (their worker died): fail them.

    ``core.tracking.task_runs_recover`` marks the job failed when the worker restarts; the run itself would
    stay "running" with part of its outcome rows. Each such run is marked failed (conditionally, so a run that
    finished meanwhile is left alone) and its rows are removed, in one short transaction per run. Called by
    the match-run task before it starts, so the worker's first job after a restart tidies up.
    """
    failed_jobs = TaskRun.objects.filter(status=TaskRun.Status.FAILED).values("pk")
    stale = MatchRun.objects.filter(
        status__in=[MatchRun.Status.QUEUED, MatchRun.Status.RUNNING], task_run_id__in=failed_jobs
    ).values_list("pk", flat=True)
    message = _("The task worker stopped while this run was working. Start a new run.")[:300]
    recovered: list[int] = []
    for pk in list(stale):
        with transaction.atomic():
            marked = MatchRun.objects.filter(
                pk=pk, status__in=[MatchRun.Status.QUEUED, MatchRun.Status.RUNNING]
            ).update(status=MatchRun.Status.FAILED, message=message, finished_at=timezone.now())
            if marked:
                MatchAssignment.objects.filter(run_id=pk).delete()
                recovered.append(pk)
    return recovered


def match_run_fail(*, match_run_id: int, message: str) -> None:
    MatchRun.objects.filter(pk=match_run_id).update(
        status=MatchRun.Status.FAILED, message=message[:300], finished_at=timezone.now()
    )
