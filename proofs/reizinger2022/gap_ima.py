"""The gap log p(x) - ELBO(x) at the optimal diagonal-covariance encoder tends to C_IMA(Ã) as ε -> 0.

Model (package docstring): x = Ãz + εξ, q(z|x) = N(B̃x, diag D̃), x ~ N(0, ÃÃᵀ + ε²I).

The exact gap.  The ELBO's optimal mean is the posterior mean and the posterior covariance
ε²(ÃᵀÃ + ε²I)⁻¹ does not depend on x, so the gap is the same KL divergence for every x:

    log p(x) - ELBO*(x) = ½ Σ_i log(||Ã_i||² + ε²) - ½ log det(ÃᵀÃ + ε²I)      (closed form)
                         -> Σ_i log||Ã_i|| - ½ log det(ÃᵀÃ) = C_IMA(Ã)        (ε -> 0).

What is checked

1. **Symbolically** (explicit entries of Ã, ε > 0): at ``GAP_SHAPES``, E_x log p(x) - E_x ELBO
   (the library's (4) with A = [Ã | εI], at the optimal encoder) equals the closed form; at
   ``LIMIT_SHAPES`` the closed form is finite at ε = 0 and its value there is C_IMA(Ã).
2. **Numerically** up to d = 20: the gap from independent pieces (SciPy's Gaussian entropy and the
   NumPy loss (4) at the optimal encoder) equals the closed form, also at single points x (SciPy's
   logpdf and (4) with A = x: the gap does not depend on x), and |gap - C_IMA| -> 0.  (A symbolic
   check at a symbolic x was tried: SymPy does not split the logarithms of the unfactored
   determinants without ``force``, so the engine could not decide it; it is not part of the proof.)
3. **Findings** (searches): the rate of gap -> C_IMA (fitted slope of log|gap - C_IMA| against
   log ε; the ε² coefficient ½[Σ 1/||Ã_i||² - tr((ÃᵀÃ)⁻¹)] <= 0 derived symbolically at r = 2);
   the gap increases monotonically to C_IMA as ε decreases; for column-orthogonal Ã it is 0 for every ε.
"""
from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from proofs.reizinger2022 import PAPER
from proofs.reizinger2022._model import c_ima, cholesky_factor, gap_closed_form, gap_numeric, optimal_encoder, symbolic_model
from verify import Check, Derivation, Domain, Evidence, Finding, FindingKind, ProofReport, Relation, Role, Status
from verify import tolerances as tol
from verify.derivation import check_finite_limit
from verify.findings import log_slope
from scipy.stats import multivariate_normal

from verify.numeric import loss_L

STATEMENT = PAPER.statement("gap_ima")
GAP_SHAPES = ((2, 1), (2, 2))
LIMIT_SHAPES = ((2, 1), (2, 2), (3, 2))
NUMERIC_SHAPES = ((2, 1), (3, 2), (6, 3), (10, 4), (20, 5))
EPS_AGREE = (1.0, 0.3, 0.05, 0.01)
EPS_RATE = np.geomspace(1e-1, 1e-3, 7)
T = sp.Symbol("t", positive=True)  # t = ε²


def expected_gap(d: int, r: int, closed=None) -> Derivation:
    """E_x log p(x) - E_x ELBO at the optimal encoder -> the closed form, through the steps below.

    The start takes (4) at the optimal D̃ as (5) (L1, Lemma 3 of the main paper, proved there for every
    d, r); the steps are decided by SymPy (rational cancellation; logarithms of polynomials).
    """
    m = symbolic_model(d, r)
    sub = {**dict(zip(m.vae.A, m.A)), **{s: e for s, e in zip(m.vae.At, m.At)}}
    l1 = m.vae.loss_L1().xreplace(sub).xreplace(dict(zip(m.Bt, m.optimal_Bt())))
    C = m.At * m.At.T + m.eps**2 * sp.eye(d)
    cols = sum(sp.log(m.col_sq(i) + m.eps**2) for i in range(r)) / 2
    der = Derivation(f"E log p(x) - E ELBO at the optimal encoder (d={d}, r={r})",
                     -(sp.log(C.det()) + d) / 2 + l1 - sp.Rational(r, 2),
                     "-½(log det(ÃÃᵀ + ε²I) + d + d log 2π) + (4) + d/2 log 2π - r/2, with (4) at the optimal D̃ "
                     "equal to (5) (main paper, Lemma 3) and A = [Ã | εI], B̃ = (ÃᵀÃ + ε²I)⁻¹Ãᵀ", Domain())
    rest = -sp.log(C.det()) / 2 - sp.Rational(r, 2) + (d - r) * sp.log(m.eps) + sp.Rational(r, 2) + cols
    der.step(rest, "at the posterior mean map the fit and code terms of (5) sum to d/2", source="inserted")
    der.step(-sp.log(m.eps ** (2 * (d - r)) * m.M.det()) / 2 + (d - r) * sp.log(m.eps) + cols,
             "Sylvester: det(ÃÃᵀ + ε²I_d) = ε^{2(d-r)} det(ÃᵀÃ + ε²I_r)", source="inserted")
    der.step(m.gap_closed_form() if closed is None else closed,
             "the closed form ½Σ log(||Ã_i||² + ε²) - ½ log det(ÃᵀÃ + ε²I)")
    return der


def pointwise_numeric(shapes=NUMERIC_SHAPES, seed: int = 13, closed=gap_closed_form) -> Check:
    """log p(x) - ELBO(x) at single points x equals the closed form (it does not depend on x).

    -ELBO(x) - d/2 log 2π + r/2 is the library's (4) with the data matrix A = x (d x 1): (4) is E_z of
    the per-point loss at x = Az, z ~ N(0, 1), and the loss is quadratic in x, so A = x gives it exactly.
    """
    rng = np.random.default_rng(seed)
    worst, witness = 0.0, None
    for d, r in shapes:
        At = rng.standard_normal((d, r))
        for eps in (0.5, 0.05):
            Bt, D = optimal_encoder(At, eps)
            C = At @ At.T + eps**2 * np.eye(d)
            for x in rng.standard_normal((3, d)) * np.array([1.0, 10.0, 0.1])[:, None]:
                loglik = multivariate_normal(mean=np.zeros(d), cov=C).logpdf(x)
                elbo = -(loss_L(x[:, None], At, Bt, D, eps) + d * np.log(2 * np.pi) / 2 - r / 2)
                a, b = loglik - elbo, closed(At, eps)
                err = abs(a - b) / (1 + abs(loglik) + abs(b))
                worst = max(worst, err)
                if err > tol.FLOAT_RTOL and witness is None:
                    witness = f"(d, r)=({d}, {r}), ε={eps}, x={np.round(x, 3).tolist()}: gap {a:.12g}, closed form {b:.12g}"
    return Check("log p(x) - ELBO(x) = closed form at single points x", Status.FAILED if witness else Status.NUMERIC,
                 "log p(x) from scipy.stats.multivariate_normal.logpdf, ELBO(x) = -(verify.numeric.loss_L with A = x "
                 "+ d/2 log 2π - r/2) at the optimal encoder; relative to 1 + |log p(x)| + |gap| (FLOAT_RTOL)",
                 f"random Ã (seed {seed}), (d, r) in {list(shapes)}, ε in (0.5, 0.05), 3 points x of scales 1, 10, 0.1 each",
                 worst, witness)


def limit_checks(d: int, r: int, contrast=None) -> list:
    """The closed form is finite at ε = 0 and equals C_IMA(Ã) there."""
    m = symbolic_model(d, r)
    closed = m.gap_closed_form()
    der = Derivation(f"the gap at ε = 0 (d={d}, r={r})", closed.subs(m.eps, 0),
                     "the closed form at ε = 0 (continuous there: checked below)", Domain())
    der.step(m.c_ima() if contrast is None else contrast, "C_IMA(Ã) = Σ log||Ã_i|| - ½ log det(ÃᵀÃ)")
    return [check_finite_limit(closed, m.eps, f"the closed-form gap (d={d}, r={r})"), der]


def rate_coefficient(d: int = 2, r: int = 2) -> list:
    """d gap/d(ε²) at ε = 0 equals κ = ½[Σ 1/||Ã_i||² - tr((ÃᵀÃ)⁻¹)] (explicit Ã), and κ <= 0 for every
    positive definite ÃᵀÃ = RᵀR (R upper triangular with positive diagonal: every d, at this r)."""
    m = symbolic_model(d, r)
    closed = m.gap_closed_form(eps=sp.sqrt(T))
    der = Derivation(f"the ε² coefficient of gap - C_IMA (d={d}, r={r})", sp.diff(closed, T).subs(T, 0),
                     "d/dt of the closed form at t = ε² = 0 (gap - C_IMA = κ ε² + O(ε⁴))", Domain())
    der.step(kappa_of(m.G), "κ = ½[Σ_i 1/||Ã_i||² - tr((ÃᵀÃ)⁻¹)]", source="inserted")
    R = cholesky_factor(r)
    sign = Derivation(f"κ <= 0 (r={r}, every d: ÃᵀÃ = RᵀR)", kappa_of(R.T * R),
                      "κ at ÃᵀÃ = RᵀR, R upper triangular with R_ii > 0 (every positive definite ÃᵀÃ)", Domain())
    sign.step(sp.factor(kappa_of(R.T * R)), "factored (SymPy)", source="inserted")
    sign.step(sp.Integer(0), "((ÃᵀÃ)⁻¹)_ii >= 1/(ÃᵀÃ)_ii for a positive definite matrix", Relation.LE,
              source="inserted")
    return [der, sign]


def kappa_of(G: sp.Matrix) -> sp.Expr:
    return (sum(1 / G[i, i] for i in range(G.rows)) - G.inv().trace()) / 2


def _instances(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((d, r)) for d, r in shapes]


def numeric_agreement(shapes=NUMERIC_SHAPES, seed: int = 7, closed=gap_closed_form) -> Check:
    worst, witness = 0.0, None
    for At in _instances(shapes, seed):
        for eps in EPS_AGREE:
            a, b = gap_numeric(At, eps), closed(At, eps)
            err = abs(a - b) / (1 + abs(b) + np.linalg.norm(At) ** 2)
            worst = max(worst, err)
            if err > tol.FLOAT_RTOL and witness is None:
                witness = f"(d, r)={At.shape}, ε={eps}: gap from entropy and (4) = {a:.12g}, closed form = {b:.12g}"
    return Check("gap (SciPy entropy - ELBO from (4)) = closed form", Status.FAILED if witness else Status.NUMERIC,
                 "E log p(x) = -entropy of N(0, ÃÃᵀ + ε²I) (scipy.stats), E ELBO = -(verify.numeric.loss_L + "
                 "d/2 log 2π - r/2) at the optimal encoder; relative to 1 + |gap| + ||Ã||² (tolerance FLOAT_RTOL)",
                 f"random Gaussian Ã (seed {seed}), (d, r) in {list(shapes)}, ε in {list(EPS_AGREE)}", worst, witness)


def rate_search(shapes=NUMERIC_SHAPES, seed: int = 7) -> tuple:
    """Along ε -> 0: |gap - C_IMA| -> 0, its fitted slope, and whether the gap increases as ε falls."""
    rows, witness, monotone = [], None, True
    for At in _instances([s for s in shapes if s[1] >= 2], seed):  # r = 1: gap = C_IMA = 0 exactly
        target = c_ima(At)
        gaps = np.array([gap_numeric(At, e) for e in EPS_RATE])
        diff = np.abs(gaps - target)
        rows.append((At.shape, target, log_slope(np.log(diff), EPS_RATE), float(diff[-1]),
                     float((gaps[-1] - target) / EPS_RATE[-1] ** 2)))
        monotone &= bool(np.all(np.diff(gaps) >= -1e-12) and np.all(gaps <= target + 1e-12))
        if not diff[-1] < 1e-4 * (1 + abs(target)) and witness is None:
            witness = f"(d, r)={At.shape}: |gap - C_IMA| = {diff[-1]:.3g} at ε = {EPS_RATE[-1]:g}"
    check = Check("|gap - C_IMA| -> 0 as ε -> 0", Status.FAILED if witness else Status.NUMERIC,
                  f"gap from entropy and (4) at ε = {EPS_RATE[0]:g} .. {EPS_RATE[-1]:g} (7 points), |gap - C_IMA| "
                  "below 1e-4 (1 + |C_IMA|) at the smallest ε (it is O(ε²) = 1e-6 there)",
                  f"random Gaussian Ã (seed {seed}), (d, r) in {list(shapes)}", max(r[3] for r in rows), witness)
    return check, rows, monotone


def orthogonal_zero(seed: int = 11) -> float:
    """max |gap| over column-orthogonal Ã (Q·diag(s)) and ε in EPS_AGREE: 0 up to round-off."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for d, r in NUMERIC_SHAPES:
        Q, _ = np.linalg.qr(rng.standard_normal((d, r)))
        At = Q * rng.uniform(0.2, 3.0, size=r)
        worst = max(worst, max(abs(gap_numeric(At, e)) for e in EPS_AGREE))
    return worst


@functools.lru_cache(maxsize=None)
def _rate_search_default() -> tuple:
    """rate_search() at its defaults, computed once per process (its check is the item
    ``rate-search``; its rows feed the findings)."""
    return rate_search()


@functools.lru_cache(maxsize=None)
def _rate_coefficient_default() -> tuple:
    return tuple(rate_coefficient())


# ---- the proof, as named items (``vae-verify check reizinger2022:gap_ima --only NAME`` builds one) --------------
def _exact_gap(d, r):
    return lambda: Evidence(Role.STATEMENT, expected_gap(d, r), scope=f"d={d}, r={r}: the exact gap (symbolic Ã, ε)")


def _limit(d, r):
    return lambda: [Evidence(Role.STATEMENT, x, scope=f"d={d}, r={r}: closed-form gap -> C_IMA as ε -> 0")
                    for x in limit_checks(d, r)]


for _d, _r in GAP_SHAPES:
    PAPER.item("gap_ima", f"exact-gap-{_d}x{_r}")(_exact_gap(_d, _r))
for _d, _r in LIMIT_SHAPES:
    PAPER.item("gap_ima", f"limit-{_d}x{_r}")(_limit(_d, _r))


@PAPER.item("gap_ima", "numeric-agreement")
def _numeric_agreement_item():
    return Evidence(Role.SUPPORT, numeric_agreement(), scope="numerically, (d, r) up to (20, 5)")


@PAPER.item("gap_ima", "pointwise")
def _pointwise_item():
    return Evidence(Role.SUPPORT, pointwise_numeric(), scope="numerically at single points x, (d, r) up to (20, 5)")


@PAPER.item("gap_ima", "rate-search")
def _rate_search_item():
    return Evidence(Role.SUPPORT, _rate_search_default()[0], scope="numerically along ε -> 0, (d, r) up to (20, 5)")


@PAPER.item("gap_ima", "rate-coefficient")
def _rate_coefficient_item():
    coeff, sign = _rate_coefficient_default()
    return [Evidence(Role.PROOF, coeff, scope="d=2, r=2: the ε² coefficient"),
            Evidence(Role.PROOF, sign, scope="d=2, r=2: its sign")]


@PAPER.proof("gap_ima", uses=("self_consistency",))
def check() -> ProofReport:
    """The gap at the optimal diagonal encoder: the encoder is ``optimal_encoder`` / ``optimal_Bt``, whose
    optimality is the statement ``self_consistency`` (declared through ``PAPER.establishes``)."""
    items = PAPER.evaluate("gap_ima")
    limit, rows, monotone = _rate_search_default()
    coeff, sign = _rate_coefficient_default()
    slopes = [s for _, _, s, _, _ in rows]
    ortho = orthogonal_zero()
    findings = [
        Finding(FindingKind.OTHER, "The gap converges to C_IMA at rate ε², from below",
                "gap - C_IMA = κ ε² + O(ε⁴) with κ = ½[Σ_i 1/||Ã_i||² - tr((ÃᵀÃ)⁻¹)] <= 0 (derived symbolically at "
                f"d = r = 2: {coeff.status.value}; κ <= 0: {sign.status.value}). Fitted slopes of log|gap - C_IMA| "
                f"against log ε: {min(slopes):.3f} .. {max(slopes):.3f} on {len(rows)} random instances; along the grid "
                f"the gap {'increases monotonically to' if monotone else 'does NOT increase monotonically to'} C_IMA as "
                "ε decreases.",
                "; ".join(f"(d, r)={s}: C_IMA={t:.4f}, slope {sl:.4f}, (gap - C_IMA)/ε² at ε=1e-3: {k:.4f}"
                          for s, t, sl, _, k in rows),
                f"gap from SciPy's entropy and the library's (4) at ε = {EPS_RATE[0]:g} .. {EPS_RATE[-1]:g}; "
                "least-squares slope (verify.findings.log_slope); random Gaussian Ã, seed 7"),
        Finding(FindingKind.OTHER, "For column-orthogonal Ã the gap is 0 at every ε",
                "When ÃᵀÃ is diagonal the diagonal-covariance encoder is the exact posterior, so the ELBO is tight "
                "for every ε (not only in the limit), and C_IMA = 0.",
                f"max |gap| = {ortho:.2g} over Ã = Q·diag(s) (Q with orthonormal columns, s in [0.2, 3]) at "
                f"(d, r) in {list(NUMERIC_SHAPES)} and ε in {list(EPS_AGREE)}",
                "gap from SciPy's entropy and the library's (4), seed 11"),
    ]
    summary = (
        f"Symbolically (explicit entries of Ã, ε > 0): the expected gap E log p - E ELBO at the optimal diagonal "
        f"encoder equals ½Σ log(||Ã_i||² + ε²) - ½ log det(ÃᵀÃ + ε²I) at (d, r) in {list(GAP_SHAPES)}; that closed form is "
        f"continuous at ε = 0 with value C_IMA(Ã) at (d, r) in {list(LIMIT_SHAPES)}. Numerically the gap from "
        f"independent pieces matches the closed form (also at single points x: it does not depend on x) and tends to C_IMA on {len(NUMERIC_SHAPES)} random instances "
        f"up to (d, r) = (20, 5); fitted rate ε^{np.mean(slopes):.2f}."
    )
    return ProofReport.from_items(items, summary, findings=findings)
