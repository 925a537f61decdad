"""Adversarial search for a counterexample to ``lower <= upper`` (``<``, ``=``) on a whole domain.

A few random points at moderate values are no check of an inequality: ``(x - 3/2)² >= 10^-4`` fails
only near 3/2, ``1/e <= 10^6`` only for tiny e, ``x² <= 10^8`` only for huge x.  :func:`search`
looks where such steps fail, in float64 (vectorised NumPy, from ``sympy.lambdify``), over the whole
domain the symbols' assumptions allow (a :class:`~verify.enclosure.Support` per symbol):

1. **structured points**: every symbol at boundary, tiny and huge values together (0 where allowed,
   10^-12, 10^-6, 10^-3, 0.1, 1/2, 1, 2, 10, 10^3, 10^6, 10^12, negated for real symbols, the ends and
   middle of a bounded range), then one symbol at a time through those values with the rest at 1;
2. **random points**: :data:`~verify.tolerances.SEARCH_RANDOM_POINTS`, half log-uniform over
   10^-12 .. 10^12 (``sinh`` of a uniform variable for real symbols), half at moderate scales;
3. **local minimisation** of the normalised gap (upper - lower)/(1 + |lower| + |upper|) (for ``=``:
   minus the normalised |upper - lower|) with SciPy's L-BFGS-B from the best
   :data:`~verify.tolerances.SEARCH_STARTS` points, in the variables the pool was drawn in
   (log10 x for a half-line, asinh x for the real line), then Nelder-Mead from the best point found.
   L-BFGS-B gets SciPy's own forward-difference gradient (same steps), its n + 1 points evaluated in
   one vectorised call, and the same budget of :data:`~verify.tolerances.SEARCH_MAXFUN` float
   evaluations per start.

No float result is trusted: each candidate (normalised gap below
:data:`~verify.tolerances.SEARCH_CONFIRM_BELOW`, or a value float64 could not compute) is rounded to
an exact rational point (the shortest decimal rounding that still fails) and handed to ``confirm``,
which re-evaluates both sides at that point exactly (SymPy's rational arithmetic, expectations by
quadrature, at :data:`~verify.tolerances.CONFIRM_DPS` digits; ``verify.derivation`` supplies it).
That exact re-evaluation costs 0.05-0.5 s per point on the paper's losses, so an inequality's
candidate first goes through a cheap **screen**: both sides lambdified to mpmath and evaluated at the
rational point at CONFIRM_DPS and at twice as many digits.  A candidate where both evaluations show
the step holding by at least :data:`~verify.tolerances.SEARCH_SCREEN_MARGIN` (relative; 40 orders
above the confirming slack, and 80 above the round-off of the 150-digit evaluation) is *cleared*
without the exact evaluation; every other candidate (gap below the margin, a tie, a value mpmath
cannot compute, every '=' candidate) is confirmed as before.  The screen can only clear a candidate,
never declare a failure, so a counterexample is still only ever the exact evaluation's.  The
:class:`SearchRecord` says how hard the search looked: points, starts, evaluations, the smallest gap
seen and where, how many candidates were cleared by the screen and how many evaluated exactly, and
the confirmed counterexample if any.
"""
from __future__ import annotations

import math
import time
from fractions import Fraction
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Sequence

import mpmath
import numpy as np
import scipy.optimize
import sympy as sp

from . import tolerances as tol
from ._errors import VerifyError
from .enclosure import Support

__all__ = ["SearchRecord", "search", "confirm_point"]

KINDS = ("le", "lt", "eq")


@dataclass(frozen=True)
class SearchRecord:
    """How an adversarial search looked for a counterexample, and what it found."""

    ran: bool
    reason: str = ""  # why it did not run, or what was searched
    samples: int = 0  # structured and random points of the pool
    starts: int = 0  # local minimisations
    evaluations: int = 0  # float64 evaluations of both sides, in total
    smallest_gap: Optional[float] = None  # smallest normalised gap seen (for '=': minus the largest discrepancy)
    where: Mapping[str, str] = field(default_factory=dict)  # the point of smallest_gap
    confirmed: int = 0  # candidates re-evaluated exactly (mpmath)
    counterexample: Optional[Mapping[sp.Symbol, sp.Rational]] = None  # an exact point where the claim fails
    seconds: float = 0.0
    screened: int = 0  # rational candidates cleared by the high-precision screen (no exact evaluation needed)

    @property
    def found(self) -> bool:
        return self.counterexample is not None

    def describe(self) -> str:
        if not self.ran:
            return f"no adversarial search ({self.reason})"
        where = ", ".join(f"{k}={v}" for k, v in self.where.items())
        gap = "n/a" if self.smallest_gap is None else f"{self.smallest_gap:.3g}"
        head = "counterexample found" if self.found else "no counterexample"
        return (f"{head}: {self.samples} points + {self.starts} local minimisations ({self.evaluations} float "
                f"evaluations, {self.confirmed} exact re-evaluations, {self.screened} candidates cleared by the "
                f"{tol.CONFIRM_DPS}/{2 * tol.CONFIRM_DPS}-digit screen) over {self.reason}; "
                f"smallest normalised gap {gap}" + (f" at {where}" if where else ""))


# ---------------------------------------------------------------------------------------------
# the variables the search moves in


class _Coordinate:
    """One symbol: the map from the search variable v to x, the bounds of v, and special values of x."""

    def __init__(self, sup: Support):
        self.sup = sup
        span, mod = tol.SEARCH_LOG10_SPAN, tol.SEARCH_MODERATE_LOG10
        lo = float(sup.lo) if sup.lo.is_finite else -math.inf
        hi = float(sup.hi) if sup.hi.is_finite else math.inf
        self.lo, self.hi = lo, hi
        # 10^±30, 10^±100: a step false only beyond the random pool's 10^±12 (x² <= 10^40 x)
        powers = [10.0 ** k for k in (-100, -30, -12, -6, -3, -1, 0, 1, 3, 6, 12, 30, 100)] + [0.5, 2.0]
        if math.isfinite(lo) and math.isfinite(hi):
            self.kind, self.bounds, self.moderate = "box", (lo, hi), (lo, hi)
            w = hi - lo
            specials = [lo, hi, (lo + hi) / 2, lo + w * 1e-9, hi - w * 1e-9, lo + w / 4, hi - w / 4]
            self.one = (lo + hi) / 2 if not lo < 1 < hi else 1.0
        elif math.isfinite(lo) or math.isfinite(hi):
            self.kind = "up" if math.isfinite(lo) else "down"
            self.bounds, self.moderate = (-span, span), (-mod, mod)
            base = lo if self.kind == "up" else hi
            sign = 1.0 if self.kind == "up" else -1.0
            specials = [base + sign * p for p in powers]
            if not (sup.lo_open if self.kind == "up" else sup.hi_open):
                specials.append(base)
            self.one = base + sign
        else:
            self.kind = "line"
            big = math.asinh(10.0 ** span)
            self.bounds, self.moderate = (-big, big), (-math.asinh(10.0 ** mod), math.asinh(10.0 ** mod))
            specials = [0.0] + powers + [-p for p in powers]
            self.one = 1.0
        self.specials = [self.clip(s) for s in specials]

    def x(self, v):
        if self.kind == "box":
            out = np.clip(v, self.lo, self.hi)
        elif self.kind == "up":
            out = self.lo + 10.0 ** v
        elif self.kind == "down":
            out = self.hi - 10.0 ** v
        else:
            out = np.sinh(v)
        return self.clip(out)

    def v(self, x: float) -> float:
        """The search variable of a point x (inside the bounds)."""
        if self.kind == "box":
            return float(x)
        if self.kind in ("up", "down"):
            dist = (x - self.lo) if self.kind == "up" else (self.hi - x)
            return float(np.clip(math.log10(dist) if dist > 0 else self.bounds[0], *self.bounds))
        return float(np.clip(math.asinh(x), *self.bounds))

    def clip(self, x):
        if self.sup.integer:
            x = np.round(x)
            x = np.clip(x, math.ceil(self.lo) if math.isfinite(self.lo) else -np.inf,
                        math.floor(self.hi) if math.isfinite(self.hi) else np.inf)
        return x

    def draw(self, rng: np.random.Generator, n: int, moderate: bool) -> np.ndarray:
        lo, hi = self.moderate if moderate else self.bounds
        return self.x(rng.uniform(lo, hi, n))

    def admits(self, value: sp.Rational) -> bool:
        """Whether an exact value lies in the support (ends as the assumptions say); exact rational
        comparisons in Python's Fraction (SymPy's relationals cost a millisecond each)."""
        s = self.sup
        if s.integer and not value.is_integer:
            return False
        if any(e.is_finite and not e.is_Rational for e in (s.lo, s.hi)):  # e.g. an end at π: SymPy compares
            return bool((value > s.lo if s.lo_open else value >= s.lo) and (value < s.hi if s.hi_open else value <= s.hi))
        v = Fraction(int(value.p), int(value.q))
        lo, hi = self._ends
        above = lo is None or (v > lo if s.lo_open else v >= lo)
        below = hi is None or (v < hi if s.hi_open else v <= hi)
        return above and below

    @property
    def _ends(self) -> tuple:
        """The support's finite ends as Fractions (None for an infinite end)."""
        if not hasattr(self, "_ends_cache"):
            self._ends_cache = tuple(None if not e.is_finite else Fraction(int(e.p), int(e.q))
                                     for e in (self.sup.lo, self.sup.hi))
        return self._ends_cache


def _vector_map(coords) -> Callable[[np.ndarray], np.ndarray]:
    """``V (n x m) -> X (n x m)``: every coordinate's :meth:`_Coordinate.x` applied to its row, with one
    NumPy operation per kind of coordinate instead of one per coordinate (the same arithmetic)."""
    kinds = np.array([c.kind for c in coords])
    lo = np.array([c.lo for c in coords], dtype=float).reshape(-1, 1)
    hi = np.array([c.hi for c in coords], dtype=float).reshape(-1, 1)
    rows = {k: np.flatnonzero(kinds == k) for k in ("box", "up", "down", "line")}
    integer = np.flatnonzero([c.sup.integer for c in coords])
    int_lo = np.array([math.ceil(c.lo) if math.isfinite(c.lo) else -np.inf for c in coords]).reshape(-1, 1)
    int_hi = np.array([math.floor(c.hi) if math.isfinite(c.hi) else np.inf for c in coords]).reshape(-1, 1)

    def to_x(V: np.ndarray) -> np.ndarray:
        V = np.asarray(V, dtype=float)
        X = np.empty_like(V)
        b, u, d, ln = rows["box"], rows["up"], rows["down"], rows["line"]
        X[b] = np.clip(V[b], lo[b], hi[b])
        X[u] = lo[u] + 10.0 ** V[u]
        X[d] = hi[d] - 10.0 ** V[d]
        X[ln] = np.sinh(V[ln])
        if integer.size:
            X[integer] = np.clip(np.round(X[integer]), int_lo[integer], int_hi[integer])
        return X

    return to_x


def _forward_steps(v: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """SciPy's forward-difference steps (``approx_derivative``, '2-point', no rel_step) at v within
    [lb, ub]: h = sqrt(eps)·sign(v)·max(1, |v|), reversed or shortened where v + h leaves the box."""
    sign = np.where(v >= 0, 1.0, -1.0)
    h = np.sqrt(np.finfo(float).eps) * sign * np.maximum(1.0, np.abs(v))
    lower, upper = v - lb, ub - v
    violated = ((v + h) < lb) | ((v + h) > ub)
    fitting = np.abs(h) <= np.maximum(lower, upper)
    h = np.where(violated & fitting, -h, h)
    h = np.where((upper >= lower) & ~fitting, upper, h)
    return np.where((upper < lower) & ~fitting, -lower, h)


def _normalised(kind: str, a, b):
    with np.errstate(all="ignore"):
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        scale = 1.0 + np.abs(a) + np.abs(b)
        g = -np.abs(b - a) / scale if kind == "eq" else (b - a) / scale
    return np.where(np.isfinite(g), g, np.nan)


def _exact(value: float, coord: _Coordinate, digits: int) -> Optional[sp.Rational]:
    if coord.sup.integer:
        r = sp.Integer(int(round(value)))
    else:
        r = sp.Rational(f"{value:.{digits}g}") if value != 0 else sp.Integer(0)
    return r if coord.admits(r) else None


def _rational_point(symbols, coords, x, digits: int) -> Optional[dict]:
    point = {}
    for s, c, xv in zip(symbols, coords, x):
        r = _exact(xv, c, digits)
        if r is None:
            return None
        point[s] = r
    return point


# ---------------------------------------------------------------------------------------------


def confirm_point(point: Mapping[sp.Symbol, float], supports: Mapping[sp.Symbol, Support],
                  confirm: Callable[[dict], bool]) -> Optional[dict]:
    """The shortest decimal rounding of a float ``point`` that ``confirm`` accepts (None if not even
    the 17-digit rounding fails), e.g. for the centre of a box where an enclosure found the gap < 0."""
    symbols = sorted(point, key=sp.default_sort_key)
    coords = [_Coordinate(supports[s]) for s in symbols]
    x = [float(point[s]) for s in symbols]
    found, _ = _confirm_candidate(symbols, coords, x, _Decider(confirm))
    return found


class _Decider:
    """Decides whether the step fails at an exact rational point: ``confirm`` (exact), unless the
    screen (module docstring) clears the point first.  Counts both."""

    def __init__(self, confirm: Callable[[dict], bool], screen: Optional[Callable[[dict], bool]] = None):
        self.confirm, self.screen = confirm, screen
        self.exact = 0  # exact evaluations (confirm calls)
        self.cleared = 0  # points the screen cleared

    def fails(self, point: dict) -> bool:
        if self.screen is not None and self.screen(point):
            self.cleared += 1
            return False
        self.exact += 1
        return bool(self.confirm(point))


def _screen(symbols, lower, upper, kind: str) -> Optional[Callable[[dict], bool]]:
    """The high-precision screen of an inequality's candidates (None for '=' or if mpmath cannot print it).

    Returns ``cleared(point)``: True only if, at CONFIRM_DPS and at 2·CONFIRM_DPS digits, both sides
    are finite reals and upper - lower >= SEARCH_SCREEN_MARGIN·(1 + |lower| + |upper|)."""
    if kind == "eq":
        return None
    try:
        fn = sp.lambdify(symbols, (lower, upper), modules="mpmath", docstring_limit=0)
    except Exception:  # noqa: BLE001 - not printable for mpmath: every candidate goes to confirm
        return None

    def cleared(point: dict) -> bool:
        for dps in (tol.CONFIRM_DPS, 2 * tol.CONFIRM_DPS):
            with mpmath.workdps(dps):
                try:
                    args = [mpmath.mpf(int(point[s].p)) / int(point[s].q) for s in symbols]
                    a, b = (mpmath.mpf(v) for v in fn(*args))
                except Exception:  # noqa: BLE001 - complex, undefined, overflow...: not cleared
                    return False
                if not (mpmath.isfinite(a) and mpmath.isfinite(b)):
                    return False
                if b - a < tol.SEARCH_SCREEN_MARGIN * (1 + abs(a) + abs(b)):
                    return False
        return True

    return cleared


def _confirm_candidate(symbols, coords, x, decider: _Decider) -> tuple:
    """(exact failing point or None, how many points were decided: exactly or by the screen)."""
    exact = _rational_point(symbols, coords, x, 17)
    if exact is None:
        return None, 0
    if not decider.fails(exact):
        # the nearest simple fractions: (x - 1/3)² > 0 fails only at exactly 1/3, which no float is
        count = 1
        for den in (10, 1000, 10**6):
            near = {}
            for s, c, xv in zip(symbols, coords, x):
                r = sp.Rational(Fraction(xv).limit_denominator(den)) if math.isfinite(xv) else None
                near[s] = r if r is not None and c.admits(r) and abs(float(r) - xv) <= 1e-6 * (1 + abs(xv)) else exact[s]
            if near != exact:
                count += 1
                if decider.fails(near):
                    return near, count
        return None, count
    count = 1
    for digits in (2, 4, 8, 12):
        short = _rational_point(symbols, coords, x, digits)
        if short is not None and short != exact:
            count += 1
            if decider.fails(short):
                return short, count
    return exact, count


def search(lower, upper, kind: str, supports: Mapping[sp.Symbol, Support],
           confirm: Callable[[dict], bool], *, seed: int = 0, max_seconds: float = None,
           random_points: int = None, starts: int = None) -> SearchRecord:
    """Look for a point of the domain where ``lower <= upper`` (``kind="le"``), ``lower < upper``
    (``"lt"``) or ``lower = upper`` (``"eq"``) fails; ``confirm(point)`` decides a candidate exactly."""
    if kind not in KINDS:
        raise VerifyError("kind", kind, f"one of {KINDS}")
    t0 = time.perf_counter()
    max_seconds = tol.SEARCH_MAX_SECONDS if max_seconds is None else max_seconds
    n_random = tol.SEARCH_RANDOM_POINTS if random_points is None else random_points
    n_starts = tol.SEARCH_STARTS if starts is None else starts
    lower, upper = sp.sympify(lower), sp.sympify(upper)
    symbols = sorted(lower.free_symbols | upper.free_symbols, key=sp.default_sort_key)
    missing = [s for s in symbols if s not in supports]
    if missing:
        raise VerifyError("supports", missing, "every free symbol needs a support")
    confirmed = 0
    ops = sp.count_ops(lower) + sp.count_ops(upper)
    if ops > tol.SEARCH_MAX_OPS:
        return SearchRecord(False, f"{ops} operations, more than SEARCH_MAX_OPS = {tol.SEARCH_MAX_OPS}",
                            confirmed=confirmed, seconds=time.perf_counter() - t0)
    try:
        fn = sp.lambdify(symbols, (lower, upper), modules="numpy", docstring_limit=0)
    except Exception as exc:  # noqa: BLE001 - anything lambdify cannot print is "not searchable"
        return SearchRecord(False, f"cannot evaluate in float64 ({type(exc).__name__})", confirmed=confirmed,
                            seconds=time.perf_counter() - t0)
    coords = [_Coordinate(supports[s]) for s in symbols]
    n = len(symbols)
    evaluations = 0

    def evaluate(X: np.ndarray) -> np.ndarray:
        """Normalised gaps at the columns of X (shape n x m)."""
        nonlocal evaluations
        m = X.shape[1]
        evaluations += m
        try:
            with np.errstate(all="ignore"):
                a, b = fn(*X)
        except Exception:  # noqa: BLE001 - lambdified code may raise anything; the point is just "not evaluated"
            return np.full(m, np.nan)
        return np.broadcast_to(_normalised(kind, a, b), (m,))

    # 1-2. the pool -------------------------------------------------------------------------
    rng = np.random.default_rng(seed)
    columns = []
    width = max((len(c.specials) for c in coords), default=1)
    for j in range(width):
        columns.append([c.specials[j % len(c.specials)] for c in coords])
    ones = [c.one for c in coords]
    for k, c in enumerate(coords):
        for s in c.specials:
            col = list(ones)
            col[k] = s
            columns.append(col)
    X = np.array(columns, dtype=float).T.reshape(n, -1) if n else np.zeros((0, 1))
    half = n_random // 2
    if n:
        R = np.vstack([np.concatenate([c.draw(rng, half, False), c.draw(rng, n_random - half, True)]) for c in coords])
        X = np.hstack([X, R])
    gaps = evaluate(X)
    samples = X.shape[1]
    if np.all(np.isnan(gaps)):
        return SearchRecord(False, "float64 evaluation failed at every point of the pool", samples,
                            evaluations=evaluations, seconds=time.perf_counter() - t0)
    best = []  # (gap, x-point) of every evaluated point worth keeping

    def keep(g, x):
        best.append((g, tuple(float(v) for v in x)))

    order = np.argsort(np.where(np.isnan(gaps), np.inf, gaps))
    for idx in order[: max(n_starts, tol.SEARCH_CONFIRM_MAX)]:
        if not np.isnan(gaps[idx]):
            keep(float(gaps[idx]), X[:, idx])
    undefined = [X[:, i] for i in np.flatnonzero(np.isnan(gaps))[:3]]

    # 3. local minimisation -------------------------------------------------------------------
    n_local = 0
    if n:
        to_x = _vector_map(coords)

        def objective(v):
            g = evaluate(to_x(np.asarray(v, dtype=float).reshape(n, 1)))[0]
            return 1.0 if np.isnan(g) else float(g)

        lb = np.array([c.bounds[0] for c in coords], dtype=float)
        ub = np.array([c.bounds[1] for c in coords], dtype=float)
        rows = np.arange(n)

        def value_and_gradient(v):
            """The objective and SciPy's own forward-difference gradient (its 2-point step, kept inside
            the bounds), with the n + 1 points evaluated in one vectorised call instead of n + 1 calls."""
            v = np.asarray(v, dtype=float)
            h = _forward_steps(v, lb, ub)
            V = np.repeat(v.reshape(n, 1), n + 1, axis=1)
            V[rows, rows + 1] = v + h
            g = evaluate(to_x(V))
            g = np.where(np.isnan(g), 1.0, g)
            return float(g[0]), (g[1:] - g[0]) / ((v + h) - v)

        bounds = [c.bounds for c in coords]
        seen = set()
        for g0, x0 in sorted(best)[: n_starts]:
            if time.perf_counter() - t0 > max_seconds:
                break
            if x0 in seen:
                continue
            seen.add(x0)
            v0 = [c.v(xi) for c, xi in zip(coords, x0)]
            n_local += 1
            try:
                # maxfun counts (value, gradient) calls of n + 1 points each: the SEARCH_MAXFUN float
                # evaluations per start that L-BFGS-B with its own finite differences was allowed
                res = scipy.optimize.minimize(value_and_gradient, v0, jac=True, method="L-BFGS-B", bounds=bounds,
                                              options={"maxfun": max(1, tol.SEARCH_MAXFUN // (n + 1))})
            except (ValueError, FloatingPointError, OverflowError):
                continue
            keep(float(res.fun), [c.x(vi) for c, vi in zip(coords, res.x)])
        if best and time.perf_counter() - t0 <= max_seconds:
            g0, x0 = min(best)
            n_local += 1
            try:
                res = scipy.optimize.minimize(objective, [c.v(xi) for c, xi in zip(coords, x0)], method="Nelder-Mead",
                                              bounds=bounds, options={"maxfev": tol.SEARCH_MAXFUN})
                keep(float(res.fun), [c.x(vi) for c, vi in zip(coords, res.x)])
            except (ValueError, FloatingPointError, OverflowError):
                pass

    # 4. confirm the candidates exactly ---------------------------------------------------------
    ranked = sorted(set(best))
    smallest = ranked[0] if ranked else None
    candidates, distinct = [], set()
    for g, x in ranked:
        key = tuple(float(f"{v:.4g}") for v in x)
        if g < tol.SEARCH_CONFIRM_BELOW and key not in distinct and len(candidates) < tol.SEARCH_CONFIRM_MAX:
            distinct.add(key)
            candidates.append(x)
    candidates += [tuple(float(v) for v in x) for x in undefined]
    counterexample = None
    decider = _Decider(confirm, _screen(symbols, lower, upper, kind) if candidates else None)
    for x in candidates:
        # the float point itself (17 digits) first; only if it fails, the shortest rounding that still fails
        counterexample, _ = _confirm_candidate(symbols, coords, x, decider)
        if counterexample is not None:
            break
    confirmed += decider.exact
    where = {} if smallest is None else {str(s): f"{v:.6g}" for s, v in zip(symbols, smallest[1])}
    domain = "; ".join(f"{s} ∈ {supports[s].describe()}" for s in symbols) or "no variables"
    return SearchRecord(True, domain, samples, n_local, evaluations, None if smallest is None else smallest[0],
                        where, confirmed, counterexample, time.perf_counter() - t0, decider.cleared)
