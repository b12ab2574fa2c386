"""After a load run: every write the site confirmed (``writes.jsonl`` from the locustfile) is in the database.

    verify.py writes.jsonl [summary.json]

Checks, per kind: a booking exists for that learner (and is still booked unless the run cancelled it); a
cancel left the booking cancelled; a verification left it completed with the posted minutes and patient
counts; the last draft each reviewer saved holds exactly the posted scores; an export job finished, was
audited and its download audited (old direct exports: one "export" audit row each). Prints one JSON line with
the counts, the refusals locust saw (from summary.json) and what is missing. Exits 1 when a write is missing
or when a kind of write the scenario makes has no success at all (the run would not have tested it).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

# Every kind of write the locust scenario makes; a run with none of one did not test it.
SCENARIO_WRITES = ("booking", "cancel", "verify", "review", "export")


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorfold.settings")
    import django

    django.setup()

    path = Path(sys.argv[1] if len(sys.argv) > 1 else "writes.jsonl")
    summary_path = Path(sys.argv[2]) if len(sys.argv) > 2 else path.with_name("summary.json")
    writes = (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    )
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    checked, missing = check(writes)
    absent = [kind for kind in SCENARIO_WRITES if not checked.get(kind)]
    print(
        json.dumps(
            {
                "checked": dict(checked),
                "refused": summary.get("refused", {}),
                "kinds_without_success": absent,
                "missing": missing[:20],
                "missing_count": len(missing),
            }
        )
    )
    if absent:
        print(f"FAILED: no successful {', '.join(absent)} in this run", file=sys.stderr)
    if missing:
        print(f"FAILED: {len(missing)} confirmed writes are not in the database", file=sys.stderr)
    return 1 if missing or absent else 0


def check(writes: list[dict[str, Any]]) -> tuple[Counter[str], list[dict[str, Any]]]:
    """How many writes of each kind were checked, and those the database does not hold."""
    from mentorfold.core.models import AuditEvent, TaskRun
    from mentorfold.grants.models import Review
    from mentorfold.shadowing.models import Booking

    checked: Counter[str] = Counter()
    missing: list[dict[str, Any]] = []
    cancelled = {w["booking"] for w in writes if w["kind"] == "cancel"}
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for w in writes:
        by_kind.setdefault(w["kind"], []).append(w)
        checked[w["kind"]] += 1

    ids = {w["booking"] for w in writes if "booking" in w}
    bookings = {
        b.pk: b
        for b in Booking.objects.filter(pk__in=ids).select_related("learner__user", "slot__mentor__user")
    }
    for w in by_kind.pop("booking", []):
        b = bookings.get(w["booking"])
        want = Booking.Status.CANCELLED if w["booking"] in cancelled else Booking.Status.BOOKED
        if b is None or b.learner.user.email != w["learner"] or b.status != want:
            missing.append({**w, "stored": b and b.status})
    for w in by_kind.pop("cancel", []):
        b = bookings.get(w["booking"])
        if b is None or b.status != Booking.Status.CANCELLED or b.learner.user.email != w["learner"]:
            missing.append({**w, "stored": b and b.status})
    for w in by_kind.pop("verify", []):
        b = bookings.get(w["booking"])
        ok = (
            b is not None
            and b.status == Booking.Status.COMPLETED
            and b.verified_at is not None
            and b.slot.mentor.user.email == w["mentor"]
            and b.patients_consented == int(w["patients_consented"])
            and b.patients_declined == int(w["patients_declined"])
            and (not w.get("minutes") or b.verified_minutes == int(w["minutes"]))
        )
        if not ok:
            missing.append({**w, "stored": b and [b.status, b.verified_minutes, b.patients_consented]})

    # The last draft each reviewer saved is what the database holds, score for score.
    last_review: dict[tuple[int, str], dict[str, Any]] = {}
    for w in by_kind.pop("review", []):
        last_review[(w["application"], w["reviewer"])] = w
    for (app_id, reviewer), w in last_review.items():
        review = Review.objects.filter(application_id=app_id, reviewer__email=reviewer).first()
        stored = {k: str(v) for k, v in (review.scores if review else {}).items()}
        if review is None or review.status != Review.Status.DRAFT or stored != w["scores"]:
            missing.append({**w, "stored_scores": stored, "stored_status": review and review.status})

    direct: Counter[str] = Counter()
    for w in by_kind.pop("export", []):
        run = w.get("task_run")
        if run is None:  # the old contract: the file came with the GET, one audit row each
            direct[w["coordinator"]] += 1
            continue
        done = TaskRun.objects.filter(pk=run, status=TaskRun.Status.SUCCEEDED).exists()
        made = AuditEvent.objects.filter(action="export", data__task_run=run).exists()
        fetched = AuditEvent.objects.filter(
            action="export_download", data__task_run=run, actor__email=w["coordinator"]
        ).exists()
        if not (done and made and fetched):
            missing.append({**w, "task_succeeded": done, "export_audited": made, "download_audited": fetched})
    for email, n in direct.items():
        logged = AuditEvent.objects.filter(action="export", actor__email=email).count()
        if logged < n:
            missing.append({"kind": "export audit", "coordinator": email, "exports": n, "logged": logged})

    for kind, rest in by_kind.items():  # a kind this script does not know: cannot be confirmed
        missing.extend({**w, "unknown_kind": kind} for w in rest)
    return checked, missing


if __name__ == "__main__":
    sys.exit(main())
