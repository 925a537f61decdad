"""Checked derivations: a chain of expressions, each step checked when it is added.

A step relates the previous expression to a new one by ``=``, ``<=``, ``>=`` or
``= up to an additive constant`` (constant = free of the given parameters).  Each step is decided
by two independent methods:

1. **SymPy** tries to reduce ``previous - new`` (after computing any Gaussian expectations) to 0,
   or, for an inequality, to an expression SymPy knows the sign of under the symbols' assumptions.
2. **mpmath** evaluates both sides at :data:`~verify.tolerances.RANDOM_POINTS` random points of
   the domain the assumptions allow (positive symbols in [0.2, 5], real ones in [-2, 2]) at
   :data:`~verify.tolerances.MP_DPS` significant digits.  Gaussian expectations are evaluated by
   Gauss-Hermite quadrature (not by the moment rule SymPy uses) and undefined functions (an
   arbitrary decoder f) by random affine instances.

A step is *proved* only if both agree; *numerically verified* if SymPy could not decide and every
point held; *failed* if any point failed (the witness point and both values are kept), whatever
SymPy said.  When a printed step fails and the proof module supplied a correction, the correction
is checked the same way, the chain continues from it, and an :class:`Erratum` is recorded.
"""
from __future__ import annotations

import enum
import random
import time
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from . import tolerances as tol
from ._errors import VerifyError
from .outcome import Check, Status
from .symbolic._expectation import GaussianExpectation, quadrature_value

__all__ = [
    "Relation",
    "Status",
    "Domain",
    "Witness",
    "StepRecord",
    "Erratum",
    "Derivation",
    "check_relation",
    "check_derivative",
    "check_finite_limit",
]


class Relation(str, enum.Enum):
    """How a step's new expression relates to the previous one: ``previous REL new``."""

    EQ = "="
    LE = "<="
    GE = ">="
    LT = "<"
    GT = ">"
    EQ_UP_TO_CONSTANT = "= (+ constant)"


_FUNCTION_DEGREE = 1  # undefined functions are instantiated as random affine maps


@dataclass(frozen=True)
class Domain:
    """Where random points are drawn from.

    Each free symbol is drawn by its assumptions (positive: log-uniform in [0.2, 5]; otherwise
    uniform in [-2, 2]) unless ``ranges`` names an interval for it.  ``parameters`` are the
    symbols an additive constant may not depend on.  ``seed`` makes the points reproducible.
    """

    ranges: Mapping[sp.Symbol, tuple] = field(default_factory=dict)
    parameters: frozenset = frozenset()
    seed: int = 20221122
    points: int = tol.RANDOM_POINTS

    def __post_init__(self):
        if self.points < 5:
            raise VerifyError("points", self.points, "at least 5 random points are required")
        for s, (lo, hi) in self.ranges.items():
            if not lo < hi:
                raise VerifyError(f"ranges[{s}]", (lo, hi), "need lo < hi")

    def draw(self, symbols: Sequence[sp.Symbol], rng: random.Random) -> dict:
        """One random point: exact rationals with 4 decimals, so substitution is exact."""
        point = {}
        for s in sorted(symbols, key=sp.default_sort_key):
            if s in self.ranges:
                lo, hi = self.ranges[s]
                value = rng.uniform(lo, hi)
            elif s.is_integer and s.is_positive:
                point[s] = sp.Integer(rng.randint(1, 10))
                continue
            elif s.is_positive:
                value = 0.2 * 25 ** rng.random()
            elif s.is_nonnegative:
                value = 5 * rng.random()
            else:
                value = rng.uniform(-2.0, 2.0)
            point[s] = sp.Rational(round(value * 10_000), 10_000) or sp.Rational(1, 10_000)
        return point

    def boundary(self, symbols: Sequence[sp.Symbol]) -> Optional[dict]:
        """Nonnegative (not positive) symbols at 0, the rest at 1: where a missing hypothesis shows.

        None when no symbol has a boundary value in its domain.
        """
        point = self.ones(symbols)
        edge = [s for s in symbols if s.is_nonnegative and not s.is_positive and s not in self.ranges]
        if not edge:
            return None
        for s in edge:
            point[s] = sp.Integer(0)
        return point

    def ones(self, symbols: Sequence[sp.Symbol]) -> dict:
        """The simplest point: every symbol 1 (or the midpoint of its range if 1 is outside)."""
        point = {}
        for s in symbols:
            lo, hi = self.ranges.get(s, (-sp.oo, sp.oo))
            point[s] = sp.Integer(1) if lo < 1 < hi else sp.Rational(lo + hi, 2)
        return point


@dataclass(frozen=True)
class Witness:
    """A point where a step failed, with both sides' values there."""

    point: Mapping[str, str]
    previous_value: str
    new_value: str
    functions: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        pts = ", ".join(f"{k}={v}" for k, v in self.point.items())
        fns = "; ".join(f"{k}={v}" for k, v in self.functions.items())
        text = f"at {pts}: previous = {self.previous_value}, new = {self.new_value}"
        return text + (f" (with {fns})" if fns else "")


@dataclass(frozen=True)
class StepRecord:
    """One checked step of a derivation."""

    index: int
    relation: Relation
    expression: str
    latex: str
    reason: str
    source: str  # "paper" (a displayed step of the paper) or "inserted" (added by vae-verify)
    status: Status
    sympy_result: str
    numeric_result: str
    worst_error: Optional[float]
    witness: Optional[Witness] = None
    constant: Optional[str] = None
    note: str = ""

    def __post_init__(self):
        if self.status is Status.FAILED and self.witness is None:
            raise ValueError("a failed step must carry its witness")
        if self.source not in ("paper", "inserted", "correction"):
            raise ValueError(f"unknown step source {self.source!r}")

    @property
    def method(self) -> str:
        return f"SymPy: {self.sympy_result}; mpmath: {self.numeric_result}"


@dataclass(frozen=True)
class Erratum:
    """A printed statement or proof step that failed, with its witness and the checked correction."""

    where: str
    printed: str
    witness: str
    correction: str
    correction_status: Status

    def __post_init__(self):
        if not self.witness:
            raise ValueError("an erratum needs a witness")


# ---------------------------------------------------------------------------------------------
# numeric evaluation


def _instantiate_functions(expr, rng: random.Random):
    """Replace each undefined function by a random affine map with rational coefficients."""
    chosen = {}
    for app in sorted(expr.atoms(AppliedUndef), key=sp.default_sort_key):
        fn = app.func
        if fn in chosen:
            continue
        nargs = len(app.args)
        xs = sp.symbols(f"u0:{nargs}")
        coeffs = [sp.Rational(rng.randint(-20, 20), 10) for _ in range(nargs + 1)]
        chosen[fn] = sp.Lambda(xs, coeffs[0] + sum(c * x for c, x in zip(coeffs[1:], xs)))
    if not chosen:
        return expr, {}
    out = expr
    for fn, lam in chosen.items():
        out = out.replace(fn, lam)
    return out, {str(fn): str(lam) for fn, lam in chosen.items()}


def _evaluate(expr, point: dict, dps: int) -> mpmath.mpf:
    expr = expr.xreplace(point)
    expectations = sorted(expr.atoms(GaussianExpectation), key=lambda e: -sp.count_ops(e))
    for node in expectations:
        value = quadrature_value(node, {}, dps)
        expr = expr.xreplace({node: sp.Float(value, dps)})
    value = sp.N(expr, dps)
    if not (value.is_number and value.is_real and value.is_finite):
        raise VerifyError("expression", sp.sstr(expr)[:200], f"did not evaluate to a finite real number ({value})")
    with mpmath.workdps(dps):
        return mpmath.mpf(value)


def _free(expr):
    return set(expr.free_symbols)


# ---------------------------------------------------------------------------------------------
# symbolic decision


def _sympy_zero(expr) -> tuple:
    """Try to show expr == 0.  Returns (True, how) or (None, what was left)."""
    had_expectations = expr.has(GaussianExpectation)
    if had_expectations:
        expr = expr.doit()
    if expr == 0:
        return True, "previous - new is 0 once the expectations are computed" if had_expectations \
            else "previous - new is identically 0"
    def cancel_all(e):
        e = e.replace(sp.log, lambda a: sp.log(sp.cancel(a)))
        return sp.cancel(sp.together(sp.expand_log(e)))

    attempts = [
        ("expand", sp.expand),
        ("expand_log + expand", lambda e: sp.expand(sp.expand_log(e))),
        ("cancel inside logs, then together + cancel", cancel_all),
    ]
    # expanding a rational function with sums in its denominators never reaches 0 and is slow:
    # go straight to cancelling
    if any(p.exp.is_negative and p.base.is_Add for p in expr.atoms(sp.Pow)):
        attempts = attempts[2:]
    for name, fn in attempts:
        reduced = fn(expr)
        if reduced == 0:
            return True, f"{name} reduces previous - new to 0"
    if sp.count_ops(expr) < 400:
        reduced = sp.simplify(expr)
        if reduced == 0:
            return True, "simplify reduces previous - new to 0"
        return None, f"could not reduce previous - new (left: {sp.sstr(reduced)[:200]})"
    return None, "could not reduce previous - new (expression too large for simplify)"


def _sympy_sign(expr, strict: bool) -> tuple:
    """Try to show expr >= 0 (or > 0 when strict) from the symbols' assumptions."""
    if expr.has(GaussianExpectation):
        expr = expr.doit()
    word = "positive" if strict else "nonnegative"
    for name, fn in (("as is", lambda e: e), ("expand", sp.expand), ("factor", sp.factor), ("simplify", sp.simplify)):
        reduced = fn(expr)
        if (reduced.is_positive if strict else reduced.is_nonnegative):
            return True, f"{name}: the gap {sp.sstr(reduced)[:120]} is {word} under the assumptions"
    return None, f"could not show the gap is {word}"


def _sympy_constant(expr, parameters) -> tuple:
    if expr.has(GaussianExpectation):
        expr = expr.doit()
    for name, fn in (("expand", sp.expand), ("expand_log", lambda e: sp.expand(sp.expand_log(e))), ("simplify", sp.simplify)):
        reduced = fn(expr)
        if not (reduced.free_symbols & set(parameters)) and not reduced.atoms(AppliedUndef):
            return True, f"{name}: previous - new = {sp.sstr(reduced)}", reduced
    return None, "previous - new still depends on the parameters", None


def check_relation(previous, new, relation: Relation, domain: Domain, *, rng_salt: str = "") -> dict:
    """Decide ``previous RELATION new`` with both methods; the fields of a :class:`StepRecord`."""
    previous = sp.sympify(previous)
    new = sp.sympify(new)
    gap = previous - new
    constant = None
    if relation is Relation.EQ:
        sym_ok, sym_text = _sympy_zero(gap)
    elif relation in (Relation.LE, Relation.LT):
        sym_ok, sym_text = _sympy_sign(-gap, strict=relation is Relation.LT)
    elif relation in (Relation.GE, Relation.GT):
        sym_ok, sym_text = _sympy_sign(gap, strict=relation is Relation.GT)
    elif relation is Relation.EQ_UP_TO_CONSTANT:
        sym_ok, sym_text, constant = _sympy_constant(gap, domain.parameters)
    else:  # pragma: no cover - enum is closed
        raise VerifyError("relation", relation, "unknown relation")

    symbols = sorted(_free(previous) | _free(new), key=sp.default_sort_key)
    rng = random.Random(f"{domain.seed}:{rng_salt}:{sp.srepr(gap)[:2000]}")
    candidates = [domain.ones(symbols)] + [domain.draw(symbols, rng) for _ in range(domain.points)]
    edge = domain.boundary(symbols)
    if edge is not None:
        candidates.insert(1, edge)
    worst = -float("inf") if relation not in (Relation.EQ, Relation.EQ_UP_TO_CONSTANT) else 0.0
    values = []
    failures = 0
    witness = None
    for point in candidates:
        a = None
        (p_inst, n_inst), fns = _instantiate_pair(previous, new, rng)
        try:
            with mpmath.workdps(tol.MP_DPS):
                a = _evaluate(p_inst, point, tol.MP_DPS)
                b = _evaluate(n_inst, point, tol.MP_DPS)
                if relation is Relation.EQ_UP_TO_CONSTANT:
                    # a twin point: the parameters (and any arbitrary function) redrawn, the rest kept;
                    # previous - new must not change.
                    twin = dict(point)
                    twin.update(domain.draw([s for s in symbols if s in domain.parameters], rng))
                    (p_twin, n_twin), _ = _instantiate_pair(previous, new, rng)
                    a2 = _evaluate(p_twin, twin, tol.MP_DPS)
                    b2 = _evaluate(n_twin, twin, tol.MP_DPS)
        except (VerifyError, ZeroDivisionError) as exc:
            failures += 1
            if witness is None:
                witness = Witness(
                    point={str(k): str(v) for k, v in point.items()},
                    previous_value="undefined" if a is None else mpmath.nstr(a, 15),
                    new_value=f"undefined ({exc})"[:200],
                    functions=fns,
                )
            continue
        with mpmath.workdps(tol.MP_DPS):
            scale = max(abs(a), abs(b))
            if relation is Relation.EQ:
                err = float(abs(a - b) / (tol.IDENTITY_ATOL + tol.IDENTITY_RTOL * scale))
                bad = err > 1
                worst = max(worst, float(abs(a - b) / (1 + scale)))
            elif relation is Relation.EQ_UP_TO_CONSTANT:
                values.append(a - b)
                drift = abs((a - b) - (a2 - b2))
                scale = max(scale, abs(a2), abs(b2))
                bad = drift > tol.IDENTITY_ATOL + tol.IDENTITY_RTOL * scale
                worst = max(worst, float(drift / (1 + scale)))
            else:
                excess = (a - b) if relation in (Relation.LE, Relation.LT) else (b - a)
                if relation in (Relation.LT, Relation.GT):
                    bad = excess >= 0
                else:
                    bad = excess > tol.INEQUALITY_SLACK * (1 + abs(a) + abs(b))
                worst = max(worst, float(excess / (1 + scale)))
        failures += bool(bad)
        if bad and witness is None:
            extra = ""
            if relation is Relation.EQ_UP_TO_CONSTANT:
                extra = f"; previous - new changes to {mpmath.nstr(a2 - b2, 15)} when the parameters are redrawn"
            witness = Witness(
                point={str(k): str(v) for k, v in point.items()},
                previous_value=mpmath.nstr(a, 15),
                new_value=mpmath.nstr(b, 15) + extra,
                functions=fns,
            )
    n_pts = len(candidates)
    if witness is not None:
        status = Status.FAILED
        numeric_text = f"fails at {failures} of {n_pts} points ({tol.MP_DPS} digits; first failure kept as witness)"
        note = "SymPy claimed it holds but a numeric point contradicts it" if sym_ok else ""
    else:
        status = Status.PROVED if sym_ok else Status.NUMERIC
        numeric_text = f"holds at {n_pts} points ({tol.MP_DPS} digits; the all-ones point and {n_pts - 1} random ones)"
        note = ""
    if relation is Relation.EQ_UP_TO_CONSTANT and constant is None and witness is None and values \
            and set(symbols) <= set(domain.parameters):
        constant = sp.Float(values[0], 20)
    return dict(
        status=status,
        sympy_result=sym_text if sym_ok else f"undecided ({sym_text})",
        numeric_result=numeric_text,
        worst_error=worst,
        witness=witness,
        constant=None if constant is None else sp.sstr(constant),
        note=note,
    )


def _instantiate_pair(previous, new, rng):
    """Instantiate undefined functions identically on both sides."""
    both = sp.Tuple(previous, new)
    inst, fns = _instantiate_functions(both, rng)
    return (inst[0], inst[1]), fns


# ---------------------------------------------------------------------------------------------


class Derivation:
    """A chain of expressions starting from ``start``; every :meth:`step` is checked on the spot.

    Parameters
    ----------
    title:
        What is derived, e.g. ``"(9) -> (4) for d=2, r=3, r*=1"``.
    start:
        The first expression (a definition; not checked).
    start_reason:
        Where it comes from, e.g. ``"eq. (9): the VAE loss with linear f, g"``.
    domain:
        Where the numeric witness draws its points.
    """

    def __init__(self, title: str, start, start_reason: str, domain: Domain):
        self.title = title
        self.domain = domain
        self.start = sp.sympify(start)
        self.start_reason = start_reason
        self.current = self.start
        self.steps: list[StepRecord] = []
        self._expressions: list = []
        self.errata: list[Erratum] = []
        self.broken = False  # a step failed with no valid correction
        self.elapsed = 0.0

    def step(
        self,
        expr,
        reason: str,
        relation: Relation | str = Relation.EQ,
        *,
        source: str = "paper",
        correction=None,
        correction_reason: str = "",
        where: str = "",
    ) -> StepRecord:
        """Add ``expr`` as the next expression, related to the current one by ``relation``.

        If the step fails and ``correction`` is given, the correction is checked too; if it holds,
        the chain continues from it and an erratum is recorded.
        """
        relation = Relation(relation)
        t0 = time.perf_counter()
        expr = sp.sympify(expr)
        fields = check_relation(self.current, expr, relation, self.domain, rng_salt=f"{self.title}:{len(self.steps)}")
        record = self._record(expr, reason, relation, source, fields)
        self.steps.append(record)
        self._expressions.append(expr)
        if record.status is Status.FAILED:
            if correction is not None:
                fixed = sp.sympify(correction)
                cfields = check_relation(self.current, fixed, relation, self.domain, rng_salt=f"{self.title}:{len(self.steps)}c")
                crecord = self._record(fixed, correction_reason or f"corrected: {reason}", relation, "correction", cfields)
                self.steps.append(crecord)
                self.errata.append(
                    Erratum(
                        where=where or f"{self.title}, step {record.index}",
                        printed=f"{relation.value} {record.expression}",
                        witness=record.witness.describe() if record.witness else record.note,
                        correction=f"{relation.value} {crecord.expression}" + (f" ({correction_reason})" if correction_reason else ""),
                        correction_status=crecord.status,
                    )
                )
                if crecord.status.holds:
                    self.current = fixed
                else:
                    self.broken = True
            else:
                self.errata.append(
                    Erratum(
                        where=where or f"{self.title}, step {record.index}",
                        printed=f"{relation.value} {record.expression}",
                        witness=record.witness.describe() if record.witness else record.note,
                        correction="none supplied",
                        correction_status=Status.UNDECIDED,
                    )
                )
                self.broken = True
                self.current = expr
        else:
            self.current = expr
        self.elapsed += time.perf_counter() - t0
        return record

    def _record(self, expr, reason, relation, source, fields) -> StepRecord:
        return StepRecord(
            index=len(self.steps) + 1,
            relation=relation,
            expression=_short(sp.sstr(expr)),
            latex=_short(sp.latex(expr), 4000),
            reason=reason,
            source=source,
            **fields,
        )

    @property
    def printed_status(self) -> Status:
        """The derivation as printed: FAILED if any step other than a correction failed, whatever the
        corrections say; otherwise :attr:`status`."""
        if any(s.status is Status.FAILED and s.source != "correction" for s in self.steps):
            return Status.FAILED
        return self.status

    @property
    def has_corrections(self) -> bool:
        """Whether a failed step was followed by a checked correction."""
        return any(s.source == "correction" for s in self.steps)

    def free_symbols(self) -> set:
        """Every symbol the chain is written in (dimension symbols included)."""
        return set(self.start.free_symbols).union(*(e.free_symbols for e in self._expressions))

    @property
    def status(self) -> Status:
        """The chain with its checked corrections: proved if every kept step is proved; numeric if some
        only held numerically; failed if a step failed with no correction that holds."""
        if self.broken:
            return Status.FAILED
        kept = [s for s in self.steps if s.status.holds]
        if not kept:
            return Status.UNDECIDED
        return Status.PROVED if all(s.status is Status.PROVED for s in kept) else Status.NUMERIC

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "start": _short(sp.sstr(self.start)),
            "start_latex": _short(sp.latex(self.start), 4000),
            "start_reason": self.start_reason,
            "status": self.printed_status.value,
            "corrected_status": self.status.value,
            "elapsed_s": round(self.elapsed, 3),
            "steps": [_step_dict(s) for s in self.steps],
        }


def _step_dict(s: StepRecord) -> dict:
    return {
        "index": s.index,
        "relation": s.relation.value,
        "expression": s.expression,
        "latex": s.latex,
        "reason": s.reason,
        "source": s.source,
        "status": s.status.value,
        "method": s.method,
        "worst_error": s.worst_error,
        "witness": None if s.witness is None else s.witness.describe(),
        "constant": s.constant,
        "note": s.note,
    }


def _short(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[: limit - 25] + f" ... [{len(text)} chars]"


def check_derivative(function, variable: sp.Symbol, claimed, domain: Domain, name: str = "") -> "object":
    """Check ``claimed == d function / d variable`` without SymPy's differentiation.

    The witness is mpmath's numerical derivative (``mpmath.diff``, Richardson-extrapolated central
    differences at MP_DPS digits) of ``function`` at random points; SymPy's own ``diff`` is compared
    symbolically as the first method.  Returns a :class:`verify.claims.Check`.
    """
    function = sp.sympify(function)
    claimed = sp.sympify(claimed)
    sym_ok, sym_text = _sympy_zero(sp.diff(function, variable) - claimed)
    symbols = sorted(_free(function) | _free(claimed) | {variable}, key=sp.default_sort_key)
    rng = random.Random(f"{domain.seed}:derivative:{name}:{sp.srepr(claimed)[:500]}")
    worst = 0.0
    witness = None
    n_pts = domain.points
    for _ in range(n_pts):
        point = domain.draw(symbols, rng)
        at = {k: v for k, v in point.items() if k != variable}
        with mpmath.workdps(tol.MP_DPS):
            g = sp.lambdify(variable, function.xreplace(at), modules="mpmath")
            x0 = mpmath.mpf(sp.N(point[variable], tol.MP_DPS))
            fd = mpmath.diff(g, x0)
            exact = _evaluate(claimed, point, tol.MP_DPS)
            err = float(abs(fd - exact) / (1 + abs(exact)))
        worst = max(worst, err)
        if err > tol.FD_RTOL and witness is None:
            witness = f"at {', '.join(f'{k}={v}' for k, v in point.items())}: finite difference {mpmath.nstr(fd, 15)}, claimed {mpmath.nstr(exact, 15)}"
    if witness:
        status = Status.FAILED
    else:
        status = Status.PROVED if sym_ok else Status.NUMERIC
    return Check(
        name=name or f"d/d{variable} = {sp.sstr(claimed)[:80]}",
        status=status,
        method=f"SymPy diff: {sym_text if sym_ok else 'undecided'}; mpmath.diff at {n_pts} random points ({tol.MP_DPS} digits)",
        scope="random points of the domain",
        worst_error=worst,
        witness=witness,
    )


def check_finite_limit(F, variable: sp.Symbol, label: str, seed: int = 0) -> "object":
    """Check that F has a finite limit F(0) as ``variable`` -> 0+ (no singularity there).

    SymPy: F has no negative power of the variable and F(0) is finite.  mpmath: at a random point of
    the other symbols, |F(1e-30) - F(0)| <= 1e-40 (F(variable) - F(0) is O(variable²) in our uses).
    Returns a :class:`verify.claims.Check`.
    """
    F = sp.sympify(F)
    F0 = F.subs(variable, 0)
    singular = F0.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or any(
        p.exp.is_negative and p.base == variable for p in F.atoms(sp.Pow))
    rng = random.Random(f"{seed}:{label}")
    point = {s: sp.Rational(rng.randint(-20, 20) or 7, 10) for s in F.free_symbols - {variable}}
    val0 = sp.N(F0.xreplace(point), tol.MP_DPS)
    val = sp.N(F.xreplace({**point, variable: sp.Rational(1, 10**30)}), tol.MP_DPS)
    finite = bool(val0.is_finite and val.is_finite)
    err = float(abs(val - val0)) if finite else float("inf")
    witness = None
    if singular or not finite or err > 1e-40:
        witness = f"{label}: F(0) = {sp.sstr(F0)[:120]}, |F(1e-30) - F(0)| = {err:.3g}"
    return Check(f"{label}: F({variable}) -> F(0), finite", Status.FAILED if witness else Status.PROVED,
                 f"SymPy: no negative power of {variable} and F(0) finite; mpmath: |F(1e-30) - F(0)| <= 1e-40 "
                 "at a random point", label, err, witness)
