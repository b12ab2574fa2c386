"""Result and error types of :mod:`assign` (the optimal capacitated assignment), and shared aliases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

IntArray: TypeAlias = npt.NDArray[np.int64]
FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
Forbidden: TypeAlias = "Iterable[tuple[int, int]] | npt.ArrayLike | Any | None"

# Rows of the dense score matrix handled per chunk: bounds temporary memory to
# about _CHUNK * n_cols * 8 bytes per temporary.
_CHUNK = 512


class InfeasibleAssignment(ValueError):
    """No assignment meets every demand, capacity and min_load.

    Attributes
    ----------
    rows : tuple of int
        Rows that cannot get their full demand (may be empty when the cause is a
        column's min_load or a global count).
    columns : tuple of int
        Columns involved (their min_load cannot be met, or they are all full).
    """

    def __init__(self, message: str, *, rows: Iterable[int] = (), columns: Iterable[int] = ()):
        super().__init__(message)
        self.rows: tuple[int, ...] = tuple(int(i) for i in rows)
        self.columns: tuple[int, ...] = tuple(int(j) for j in columns)


@dataclass(frozen=True, eq=False)
class Certificate:
    """Dual solution proving an upper bound on every feasible assignment's score.

    For any row potentials ``u`` (``u >= 0`` in partial mode), column potentials
    ``p`` and cardinality potential ``lam``, every feasible assignment with
    ``k`` pairs scores at most::

        bound = sum_i demand_i * u_i + lam * k
                + sum_j (cap_j * max(p_j, 0) - min_load_j * max(-p_j, 0))
                + sum_{allowed (i, j)} max(0, score_ij - u_i - p_j - lam)

    (weak LP duality for the transportation LP, whose optimum is integral). The
    solver picks the potentials that make ``bound`` equal to the objective. With
    ``allow_partial`` the bound covers assignments with the same number of pairs.
    That this number is the largest possible holds because either no row is short or
    the max-flow phase ran on every allowed pair; it is not part of the certificate.

    Attributes
    ----------
    row_potential, col_potential : numpy.ndarray
        ``u`` and ``p`` above (float64).
    cardinality_potential : float
        ``lam``; 0.0 unless ``allow_partial`` was used.
    bound : float
        The upper bound above, summed over all allowed pairs.
    objective : float
        Sum of the original scores of the chosen pairs.
    gap : float
        ``max(bound - objective, 0)``; at most ``tolerance`` when optimal.
    tolerance : float
        Rounding allowance from integer-scaling the scores for the flow solver.
    """

    row_potential: FloatArray
    col_potential: FloatArray
    cardinality_potential: float
    bound: float
    objective: float
    gap: float
    tolerance: float

    @property
    def is_optimal(self) -> bool:
        """True when the bound meets the objective within the tolerance."""
        return self.gap <= self.tolerance


@dataclass(frozen=True, eq=False)
class Assignment:
    """Result of :func:`optimal_assignment`.

    Attributes
    ----------
    pairs : numpy.ndarray
        ``(k, 2)`` int64 array of (row, column), sorted by row then column.
    objective : float
        Sum of the original scores of ``pairs``.
    certificate : Certificate
        Dual potentials and bound; see :func:`verify_assignment`.
    n_rows, n_cols : int
        Shape of the score matrix.
    short_rows : numpy.ndarray
        Rows that got fewer than their demand (only non-empty with ``allow_partial``).
    """

    pairs: IntArray
    objective: float
    certificate: Certificate
    n_rows: int
    n_cols: int
    short_rows: IntArray
    demand: IntArray = field(repr=False)
    capacities: IntArray = field(repr=False)
    min_load: IntArray = field(repr=False)
    allow_partial: bool = field(repr=False)
    score: Any = field(repr=False)
    forbidden: Any = field(repr=False)

    @cached_property
    def loads(self) -> IntArray:
        """Number of rows assigned to each column."""
        return np.bincount(self.pairs[:, 1], minlength=self.n_cols).astype(np.int64)

    @cached_property
    def _by_column(self) -> tuple[IntArray, IntArray]:
        order = np.argsort(self.pairs[:, 1], kind="stable")
        starts = np.searchsorted(self.pairs[order, 1], np.arange(self.n_cols + 1))
        return self.pairs[order, 0], starts

    def columns_of(self, i: int) -> IntArray:
        """Columns assigned to row ``i``, ascending."""
        lo, hi = np.searchsorted(self.pairs[:, 0], [i, i + 1])
        return self.pairs[lo:hi, 1].copy()

    def rows_of(self, j: int) -> IntArray:
        """Rows assigned to column ``j``, ascending."""
        rows, starts = self._by_column
        return rows[starts[j] : starts[j + 1]].copy()

    def verify(self) -> float:
        """Re-check feasibility and the certificate against the stored inputs; return the gap."""
        from .assign_check import verify_assignment  # the checker needs these types: import on use

        return verify_assignment(
            self,
            self.score,
            self.capacities,
            self.demand,
            forbidden=self.forbidden,
            min_load=self.min_load,
        )


@dataclass(frozen=True)
class Alternative:
    """A column row ``i`` did not get, and why."""

    column: int
    score: float
    reason: str
    detail: str


@dataclass(frozen=True)
class RowExplanation:
    """What row ``i`` got and its best columns it did not get."""

    row: int
    assigned: tuple[tuple[int, float], ...]
    alternatives: tuple[Alternative, ...]
