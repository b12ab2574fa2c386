"""After a load run: every write the site confirmed (``writes.jsonl`` from the locustfile) is in the database.

Prints one JSON line: how many writes of each kind were checked and which are missing; exits 1 if any is.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorfold.settings")
    import django

    django.setup()
    from mentorfold.core.models import AuditEvent
    from mentorfold.grants.models import Review
    from mentorfold.shadowing.models import Booking

    path = Path(sys.argv[1] if len(sys.argv) > 1 else "writes.jsonl")
    writes = (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    )
    checked: Counter[str] = Counter()
    missing: list[dict[str, Any]] = []
    cancelled = {w["booking"] for w in writes if w["kind"] == "cancel"}
    last_review: dict[tuple[int, str], dict[str, Any]] = {}
    exports: Counter[str] = Counter()
    for w in writes:
        kind = w["kind"]
        if kind == "booking":
            ok = Booking.objects.filter(pk=w["booking"], learner__user__email=w["learner"]).exists()
        elif kind == "cancel":
            ok = Booking.objects.filter(pk=w["booking"], status=Booking.Status.CANCELLED).exists()
        elif kind == "verify":
            ok = Booking.objects.filter(
                pk=w["booking"], verified_at__isnull=False, patients_consented=int(w["patients_consented"])
            ).exists()
        elif kind == "review":
            last_review[(w["application"], w["reviewer"])] = w
            ok = Review.objects.filter(
                application_id=w["application"], reviewer__email=w["reviewer"]
            ).exists()
        elif kind == "export":
            exports[w["coordinator"]] += 1
            ok = True
        else:
            ok = False
        checked[kind] += 1
        if not ok:
            missing.append(w)
    # The last draft each reviewer saved is what the database holds, score for score.
    for (app_id, reviewer), w in last_review.items():
        review = Review.objects.filter(application_id=app_id, reviewer__email=reviewer).first()
        stored = {k: str(v) for k, v in (review.scores if review else {}).items()}
        if stored != w["scores"]:
            missing.append({**w, "stored_scores": stored})
    for email, n in exports.items():
        logged = AuditEvent.objects.filter(action="export", actor__email=email).count()
        if logged < n:
            missing.append({"kind": "export audit", "coordinator": email, "exports": n, "logged": logged})
    print(
        json.dumps({"checked": dict(checked), "bookings_cancelled": len(cancelled), "missing": missing[:20]})
    )
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
