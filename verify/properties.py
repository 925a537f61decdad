"""Property checks: a statement checked on instances Hypothesis draws, with a shrunk counterexample.

:func:`property_check` asks Hypothesis (``hypothesis.find``) for an instance on which the property
fails.  If there is none among the examples of the active settings profile, the check is
``numerically_verified`` and reports how many instances were tried and the worst error seen.  If
there is one, Hypothesis shrinks it to the simplest failing instance it can find, and that instance
is the check's witness: it goes into the report next to the statement.

A property returns an :class:`Outcome`: whether it held on this instance, the error to report (a
number the property defines, e.g. the relative excess of an inequality), and what was compared.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from hypothesis import find
from hypothesis.errors import NoSuchExample, Unsatisfiable

from . import tolerances as tol
from .claims import Check
from .derivation import Status
from .strategies import active_profile, profile_settings

__all__ = ["Outcome", "property_check", "relative_excess"]


@dataclass(frozen=True)
class Outcome:
    """The result of a property on one instance."""

    holds: bool
    error: float  # reported as the check's worst error (the property says what it measures)
    detail: str = ""

    def __post_init__(self):
        object.__setattr__(self, "holds", bool(self.holds))  # NumPy comparisons give numpy.bool_
        object.__setattr__(self, "error", float(self.error))


def relative_excess(lhs: float, rhs: float, *terms: float) -> float:
    """(lhs - rhs) / (1 + |lhs| + |rhs| + Σ|terms|): > FLOAT_RTOL means lhs <= rhs fails."""
    return (lhs - rhs) / (1.0 + abs(lhs) + abs(rhs) + sum(abs(t) for t in terms))


def property_check(name: str, strategy, prop: Callable[[object], Outcome], *, method: str, scope: str,
                   profile: Optional[str] = None, max_examples: Optional[int] = None,
                   describe: Callable[[object], str] = repr, examples: Sequence = ()) -> Check:
    """Run ``prop`` on instances drawn from ``strategy``; a failure is shrunk and kept as the witness.

    ``max_examples`` overrides the profile's number (for expensive properties, e.g. whole flows);
    the scope says how many instances were actually tried.  ``examples`` are instances checked
    whenever the draws find no counterexample (for example the corner where a bound is attained,
    which random draws reach only by luck); a failing one is the witness as it is.
    """
    profile = profile or active_profile()
    overrides = {} if max_examples is None else {"max_examples": max_examples}
    stats = {"n": 0, "worst": -math.inf, "worst_detail": ""}

    def fails(example) -> bool:
        out = prop(example)
        stats["n"] += 1
        if math.isfinite(out.error) and out.error > stats["worst"]:
            stats["worst"], stats["worst_detail"] = out.error, out.detail
        return not out.holds

    how = f"Hypothesis ({profile} profile, seed {tol.PROPERTY_SEED}); {method}"
    if examples:
        how = f"{how}, then {len(examples)} fixed instance(s)"
    try:
        example = find(strategy, fails, settings=profile_settings(profile, **overrides),
                       random=random.Random(tol.PROPERTY_SEED))
    except NoSuchExample:
        for fixed in examples:
            if fails(fixed):
                out = prop(fixed)
                return Check(name, Status.FAILED, how, f"{stats['n']} instances, the last fixed: {scope}",
                             out.error, f"the fixed instance {describe(fixed)} fails: {out.detail}")
        drawn = f"{stats['n']} instances ({len(examples)} fixed, the rest drawn by Hypothesis)" if examples else \
            f"{stats['n']} instances drawn by Hypothesis"
        return Check(name, Status.NUMERIC, how, f"{drawn}: {scope}",
                     stats["worst"] if stats["n"] else None, None,
                     f"worst case: {stats['worst_detail']}" if stats["worst_detail"] else "")
    except Unsatisfiable:
        return Check(name, Status.UNDECIDED, how, f"Hypothesis could not draw a valid instance: {scope}")
    out = prop(example)
    witness = f"Hypothesis shrank a counterexample to {describe(example)}: {out.detail}"
    return Check(name, Status.FAILED, how, f"{stats['n']} instances drawn (including shrinking): {scope}",
                 out.error, witness)
