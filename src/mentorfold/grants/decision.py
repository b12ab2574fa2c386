"""The decision pipeline as one pure function of plain JSON inputs, so a frozen decision can be replayed.

``compute(inputs)`` runs calibration -> funding line -> seeded lottery -> budget MILP. Inputs and outputs are
plain JSON (lists of numbers and strings); ``digest`` hashes their canonical JSON, so "replay reproduces the
decision" means the same sha256, bit for bit. No ORM here: services build the inputs from the database.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy

from mentorfold import engine
from mentorfold.engine import allocate, calibrate

_ENGINE_FILES = ("calibrate.py", "allocate.py")
# Band members get the funding line's merit, nudged by lottery order; small enough never to jump a gap
# between real merits on a 1..5 rubric, large enough to order the MILP's otherwise equal choices.
_LOTTERY_NUDGE = 1e-6


def engine_version() -> str:
    """Engine release, a hash of the engine sources that decide, and the numeric libraries' versions."""
    root = Path(engine.__file__).parent
    h = hashlib.sha256()
    for name in _ENGINE_FILES:
        h.update((root / name).read_bytes())
    return f"engine {engine.ENGINE_VERSION} src {h.hexdigest()[:12]} numpy {np.__version__} scipy {scipy.__version__}"


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)


def digest(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def _floats(values: Any) -> list[float | None]:
    return [None if not math.isfinite(float(v)) else float(v) for v in np.asarray(values, dtype=np.float64)]


def compute(inputs: dict[str, Any], *, with_budget: bool = True) -> dict[str, Any]:
    """Calibrate the reviews and, with ``with_budget``, draw the lottery and solve the awards.

    Raises ``allocate.InfeasibleAllocation`` (a ValueError) when floors cannot be met and ValueError on
    malformed inputs; callers turn them into messages.
    """
    n = len(inputs["applications"])
    n_rev = len(inputs["reviewers"])
    rv = inputs["reviews"]
    out: dict[str, Any] = {}
    if n == 0 or not rv["score"]:
        raise ValueError(
            "There are no submitted reviews yet: reviewers must submit scores before calibration."
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", calibrate.DisconnectedDesignWarning)
        cal = calibrate.reviewer_offsets(
            (rv["application"], rv["reviewer"], rv["score"]), n_applications=n, n_reviewers=n_rev
        )
    out["disconnected"] = any(issubclass(w.category, calibrate.DisconnectedDesignWarning) for w in caught)
    out["raw_mean"] = _floats(cal.raw_mean)
    out["merit"] = _floats(cal.merit)
    out["merit_se"] = _floats(cal.merit_se)
    out["offset"] = _floats(cal.offset)
    out["offset_se"] = _floats(cal.offset_se)
    out["n_reviews"] = [int(x) for x in cal.n_reviews_per_application]
    out["residual_sd"] = None if not math.isfinite(cal.residual_sd) else float(cal.residual_sd)
    if not with_budget:
        return out

    reviewed = np.flatnonzero(np.isfinite(cal.merit))
    merit = np.clip(cal.merit[reviewed], 0.0, None)
    se = np.nan_to_num(cal.merit_se[reviewed], nan=0.0)
    requests = np.asarray(inputs["requests"], dtype=np.float64)[reviewed]
    need = np.asarray(inputs["need"], dtype=np.float64)[reviewed]
    local = {int(g): k for k, g in enumerate(reviewed)}
    floors = [
        allocate.Floor(
            name=f["name"],
            members=np.asarray([local[m] for m in f["members"] if m in local], dtype=np.int64),
            min_count=int(f["min_count"]),
        )
        for f in inputs["floors"]
    ]
    params = {
        "budget": float(inputs["budget"]),
        "min_award": float(inputs["award_min"]),
        "max_award": float(inputs["award_max"]),
        "partial": bool(inputs["partial"]),
        "floors": floors,
        "need": need,
        "step": int(inputs["award_step"]),
    }
    first = allocate.budget(requests, merit, **params)
    n_funded = max(int(first.funded.sum()), 1)
    line = calibrate.funding_line(merit, se, n_funded=n_funded, z=float(inputs["z"]))
    scores = merit.copy()
    order: list[int] = []
    if inputs["use_lottery"] and line.band.size:
        order = [int(x) for x in calibrate.lottery(line.band, int(line.band.size), seed=int(inputs["seed"]))]
        for pos, k in enumerate(order):
            scores[k] = line.line + _LOTTERY_NUDGE * (len(order) - pos)
    alloc = allocate.budget(requests, scores, **params)

    status = ["not_reviewed"] * n
    amounts = [0] * n
    reasons = ["not reviewed: no submitted review"] * n
    codes = ["not_reviewed"] * n
    lottery_position: list[int | None] = [None] * n
    names = {int(calibrate.FundingStatus.FUNDED): "funded", int(calibrate.FundingStatus.BAND): "band"}
    for k, g in enumerate(reviewed):
        status[g] = names.get(int(line.status[k]), "not_funded")
        amounts[g] = int(alloc.amounts[k])
        reasons[g] = alloc.reasons[k]
        codes[g] = alloc.reason_codes[k]
    for pos, k in enumerate(order):
        lottery_position[int(reviewed[k])] = pos + 1
    out.update(
        line=float(line.line),
        n_funded_first_pass=n_funded,
        status=status,
        band=[int(reviewed[k]) for k in line.band],
        lottery_order=[int(reviewed[k]) for k in order],
        lottery_position=lottery_position,
        amounts=amounts,
        reasons=reasons,
        reason_codes=codes,
        total=int(sum(amounts)),
        solver_status=alloc.status,
        mip_gap=float(alloc.mip_gap),
    )
    return out
