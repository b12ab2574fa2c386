"""The grant decision as one pure function of plain JSON inputs, so a frozen decision can be replayed.

:func:`compute` runs calibration -> funding line -> seeded lottery -> budget MILP. Inputs and outputs are plain
JSON (lists of numbers and strings); :func:`digest` hashes their canonical JSON, so "replay reproduces the
decision" means the same sha256, bit for bit. Services build the inputs from the database.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy

from . import ENGINE_VERSION, allocate, calibrate

__all__ = ["REQUIRED_KEYS", "canonical_json", "compute", "digest", "engine_version", "validate_inputs"]

_ENGINE_FILES = ("calibrate.py", "allocate.py", "decision.py")
# Band members get the funding line's merit, nudged by lottery order; small enough never to jump a gap
# between real merits on a 1..5 rubric, large enough to order the MILP's otherwise equal choices.
_LOTTERY_NUDGE = 1e-6
# The MILP's wall-clock limit. When it binds, the outputs say so (solver_status "time_limit") and the
# services refuse to freeze: a limit that binds could give another answer on another machine.
SOLVER_TIME_LIMIT = 60.0

REQUIRED_KEYS = (
    "applications",
    "reviewers",
    "reviews",
    "requests",
    "need",
    "floors",
    "budget",
    "award_min",
    "award_max",
    "award_step",
    "partial",
    "use_lottery",
    "z",
    "seed",
)


def engine_version() -> str:
    """Engine release, a hash of the engine sources that decide, and the numeric libraries' versions.

    Returns
    -------
    str
        For example ``"engine 1.0.0 src 0123456789ab numpy 2.1.0 scipy 1.14.1"``.

    Examples
    --------
    >>> engine_version().startswith("engine ")
    True
    """
    root = Path(__file__).parent
    h = hashlib.sha256()
    for name in _ENGINE_FILES:
        h.update((root / name).read_bytes())
    return (
        f"engine {ENGINE_VERSION} src {h.hexdigest()[:12]} numpy {np.__version__} scipy {scipy.__version__}"
    )


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, ASCII only, NaN refused: one text for one value.

    Raises
    ------
    ValueError
        If ``data`` holds NaN or infinity.

    Examples
    --------
    >>> canonical_json({"b": [1, 2.5], "a": None})
    '{"a":null,"b":[1,2.5]}'
    """
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)


def digest(data: Any) -> str:
    """sha256 (hex) of :func:`canonical_json` of ``data``.

    Examples
    --------
    >>> digest({"a": 1, "b": 2}) == digest({"b": 2, "a": 1}), digest({"a": 1}) == digest({"a": 1.0})
    (True, False)
    """
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def _floats(values: npt.ArrayLike) -> list[float | None]:
    return [None if not math.isfinite(float(v)) else float(v) for v in np.asarray(values, dtype=np.float64)]


def _index_list(values: Any, name: str, upper: int) -> list[int]:
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise ValueError(f"{name} must be a list of whole numbers")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < upper:
            raise ValueError(f"{name} holds {v!r}; use whole numbers from 0 to {upper - 1}")
        out.append(int(v))
    return out


def _number_list(values: Any, name: str, length: int) -> list[float]:
    if not isinstance(values, Sequence) or isinstance(values, str) or len(values) != length:
        raise ValueError(f"{name} must be a list of {length} numbers")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
            raise ValueError(f"{name} holds {v!r}; use finite numbers")
        out.append(float(v))
    return out


def validate_inputs(inputs: Mapping[str, Any]) -> None:
    """Check the shape of :func:`compute`'s inputs before any numeric work.

    Raises
    ------
    ValueError
        Naming the first missing key, wrong length, out-of-range index or non-finite number.

    Examples
    --------
    >>> validate_inputs({"applications": []})
    Traceback (most recent call last):
    ...
    ValueError: decision inputs lack: reviewers, reviews, requests, need, floors, budget, award_min, award_max, award_step, partial, use_lottery, z, seed
    """
    missing = [k for k in REQUIRED_KEYS if k not in inputs]
    if missing:
        raise ValueError(f"decision inputs lack: {', '.join(missing)}")
    n = len(inputs["applications"])
    n_rev = len(inputs["reviewers"])
    rv = inputs["reviews"]
    if not isinstance(rv, Mapping) or not {"application", "reviewer", "score"} <= set(rv):
        raise ValueError("reviews must have application, reviewer and score lists")
    k = len(rv["score"])
    if len(rv["application"]) != k or len(rv["reviewer"]) != k:
        raise ValueError("reviews: application, reviewer and score must have the same length")
    _index_list(rv["application"], "reviews.application", max(n, 1))
    _index_list(rv["reviewer"], "reviews.reviewer", max(n_rev, 1))
    _number_list(rv["score"], "reviews.score", k)
    if any(r < 0 for r in _number_list(inputs["requests"], "requests", n)):
        raise ValueError("requests must not be negative")
    _number_list(inputs["need"], "need", n)
    for key in ("budget", "award_min", "award_max", "award_step", "seed"):
        value = inputs[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{key} must be a whole number >= 0, got {value!r}")
    if inputs["award_step"] < 1 or inputs["award_max"] < inputs["award_min"]:
        raise ValueError("award_step must be >= 1 and award_max >= award_min")
    z = inputs["z"]
    if isinstance(z, bool) or not isinstance(z, int | float) or not math.isfinite(z) or z < 0:
        raise ValueError(f"z must be a finite number >= 0, got {z!r}")
    for key in ("partial", "use_lottery"):
        if not isinstance(inputs[key], bool):
            raise ValueError(f"{key} must be true or false, got {inputs[key]!r}")
    for f in inputs["floors"]:
        if not isinstance(f, Mapping) or not {"name", "min_count", "members"} <= set(f):
            raise ValueError("each floor needs name, min_count and members")
        _index_list(f["members"], f"floor {f['name']} members", max(n, 1))


def compute(
    inputs: Mapping[str, Any], *, with_budget: bool = True, time_limit: float = SOLVER_TIME_LIMIT
) -> dict[str, Any]:
    """Calibrate the reviews and, with ``with_budget``, draw the lottery and solve the awards.

    Parameters
    ----------
    inputs : mapping
        Plain JSON as built by the grants services: ``applications`` and ``reviewers`` (ids), ``reviews``
        (``application`` / ``reviewer`` indexes and ``score``), ``requests``, ``need``, ``floors``
        (``members`` indexes, ``min_count``), ``budget``, ``award_min``, ``award_max``, ``award_step``,
        ``partial``, ``use_lottery``, ``z`` and ``seed``.
    with_budget : bool, default True
        Also run the funding line, the lottery and the budget MILP.
    time_limit : float, default SOLVER_TIME_LIMIT
        Wall-clock seconds for the MILP. If it binds, ``solver_status`` is ``"time_limit"``: the result is
        then not proven optimal and may differ on another machine.

    Returns
    -------
    dict
        Plain JSON: calibration (``raw_mean``, ``merit``, ``merit_se``, ``offset``, ``offset_se``,
        ``n_reviews``, ``residual_sd``, ``disconnected``) and with the budget ``status``, ``amounts``,
        ``reasons``, ``reason_codes``, ``band``, ``lottery_order``, ``lottery_position``, ``line``,
        ``total``, ``solver_status`` and ``mip_gap``. Applications without a submitted review get status
        ``"not_reviewed"`` and no award.

    Raises
    ------
    ValueError
        On malformed inputs (see :func:`validate_inputs`) or when there is no review at all.
    allocate.InfeasibleAllocation
        (a ValueError) when the floors cannot be met.

    Notes
    -----
    Deterministic given the inputs (the lottery is seeded) as long as ``solver_status`` is ``"optimal"``.
    Calibration is a sparse least-squares solve, O(reviews); the MILP dominates for large budgets.

    Examples
    --------
    >>> out = compute(
    ...     {"applications": [10, 11], "reviewers": [7], "requests": [1000, 1000], "need": [1.0, 1.0],
    ...      "reviews": {"application": [0, 1], "reviewer": [0, 0], "score": [4.0, 2.0]}, "floors": [],
    ...      "budget": 1000, "award_min": 500, "award_max": 1000, "award_step": 50, "partial": False,
    ...      "use_lottery": False, "z": 1.96, "seed": 1})
    >>> out["amounts"], out["solver_status"]
    ([1000, 0], 'optimal')
    """
    validate_inputs(inputs)
    if not (time_limit > 0):
        raise ValueError("time_limit must be > 0")
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
            name=str(f["name"]),
            members=np.asarray([local[m] for m in f["members"] if m in local], dtype=np.int64),
            min_count=int(f["min_count"]),
        )
        for f in inputs["floors"]
    ]
    params: dict[str, Any] = {
        "budget": float(inputs["budget"]),
        "min_award": float(inputs["award_min"]),
        "max_award": float(inputs["award_max"]),
        "partial": bool(inputs["partial"]),
        "floors": floors,
        "need": need,
        "step": int(inputs["award_step"]),
        "time_limit": float(time_limit),
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
    solver_status = alloc.status if first.status == "optimal" else first.status
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
        solver_status=solver_status,
        mip_gap=float(alloc.mip_gap),
    )
    return out
