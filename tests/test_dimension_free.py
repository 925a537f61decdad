"""Proofs with SYMBOLIC dimensions (index notation, verify.symbolic._indexed).

Each dimension-free proof must (a) produce Coverage.ALL evidence in the dimension symbols d, r and
(b) FAIL on a mutated formula: a wrong constant, a wrong index, a transpose, a missing factor 1/2.
The finite-sum rules themselves are checked on identities and on near-identities they must reject.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from verify import Derivation, Domain, Evidence, Status, VerifyError
from verify.claims import Coverage, Role, Verdict, verdict_of
from verify.symbolic import (DIM_D, DIM_R, DIM_RSTAR, IDX, entry, evaluate, gaussian_second_moments,
                             indexed_linear_vae, isum, normal_form)
from verify.symbolic._indexed import identical

d, r, q = DIM_D, DIM_R, DIM_RSTAR
i, j, k, l, m = (IDX[n] for n in "ijklm")
a, b, M = entry("a"), entry("b"), entry("M")
EPS = indexed_linear_vae().eps


def transpose(expr, fn):
    """The mutation fn(x, y) -> fn(y, x) everywhere in expr."""
    return expr.replace(fn, lambda x, y: fn(y, x))


def holds(start, new) -> Status:
    der = Derivation("test", start, "test", Domain())
    return der.step(new, "test").status


# ---- the finite-sum rules -------------------------------------------------------------------------
@pytest.mark.parametrize("lhs, rhs", [
    (isum(a(l), (l, 1, q)) ** 2, isum(isum(a(l) * a(m), (m, 1, q)), (l, 1, q))),
    (isum(a(l), (l, 1, q)) * isum(b(m), (m, 1, r)), isum(isum(a(l) * b(m), (m, 1, r)), (l, 1, q))),
    (isum(isum(M(k, l), (l, 1, q)), (k, 1, d)), isum(isum(M(k, l), (k, 1, d)), (l, 1, q))),
    (isum(a(l), (l, 1, q)), isum(a(m), (m, 1, q))),
    (isum(isum(sp.KroneckerDelta(l, m) * a(l) * a(m), (m, 1, q)), (l, 1, q)), isum(a(l) ** 2, (l, 1, q))),
    (isum(sp.KroneckerDelta(k, 1) * M(k, l), (k, 1, d)), M(1, l)),
    (isum(sp.log(EPS), (j, 1, r)), r * sp.log(EPS)),
    (isum(isum(sp.KroneckerDelta(k, i) * a(k), (k, 1, d)) ** 2, (l, 1, q)),
     q * isum(sp.KroneckerDelta(k, i) * a(k) ** 2, (k, 1, d))),
])
def test_normal_form_identities(lhs, rhs):
    assert identical(lhs, rhs)
    assert sp.expand(lhs - rhs) == 0  # what the derivation engine's SymPy side does


@pytest.mark.parametrize("lhs, rhs", [
    (isum(a(l), (l, 1, q)) ** 2, isum(a(l) ** 2, (l, 1, q))),  # square of a sum is not the sum of squares
    (isum(isum(M(k, l), (l, 1, q)), (k, 1, d)), isum(isum(M(l, k), (k, 1, d)), (l, 1, q))),  # transpose
    (isum(a(l), (l, 1, q)), isum(a(l), (l, 1, r))),  # wrong range
    (isum(sp.KroneckerDelta(k, i) * M(k, l), (k, 1, d)), M(i, l)),  # i need not be a row (i > d)
    (isum(sp.log(EPS), (j, 1, r)), r * sp.log(EPS) / 2),  # wrong constant
])
def test_normal_form_rejects(lhs, rhs):
    assert not identical(lhs, rhs)


def test_evaluate_matches_numpy_and_an_empty_range_is_zero():
    v = indexed_linear_vae()
    rng = np.random.default_rng(0)
    A, At, Bt = rng.standard_normal((31, 7)), rng.standard_normal((31, 20)), rng.standard_normal((20, 31))
    got = evaluate(v.fit(), v.values(31, 20, 7, 1.0), v.arrays(A, At, Bt))
    assert got == pytest.approx(np.sum((A - At @ Bt @ A) ** 2), rel=1e-12)
    assert evaluate(transpose(v.fit(), v.A).subs(q, d), {d: 31, r: 20}, {"A": A[:, :7] @ np.ones((7, 31)),
                                                                            "At": At, "Bt": Bt}) > 0
    # Σ_{j=n+1}^{r} 1 is 0 when n >= r (the paper's empty sum; not Karr's convention, which gives r - n)
    n = sp.Symbol("n", integer=True, positive=True)
    assert evaluate(isum(sp.Integer(1), (j, n + 1, r)), {n: 5, r: 2}, {}) == 0
    assert evaluate(isum(sp.Integer(1), (j, n + 1, r)), {n: 2, r: 5}, {}) == 3


def test_gaussian_second_moments():
    z = entry("z")
    out = gaussian_second_moments(isum(isum(M(k, l) * z(l), (l, 1, q)) ** 2, (k, 1, d)), [z])
    assert identical(out, isum(M(k, l) ** 2, (k, 1, d), (l, 1, q)))
    assert not identical(out, 2 * isum(M(k, l) ** 2, (k, 1, d), (l, 1, q)))
    with pytest.raises(VerifyError):
        gaussian_second_moments(isum(z(l), (l, 1, q)) ** 3, [z])


# ---- Lemma 3 --------------------------------------------------------------------------------------
def test_lemma3_dimension_free_and_coverage():
    from proofs.koehler2022 import lemma3_optimal_encoder_variance as m3
    stat, l1 = m3.stationarity_all(), m3.l1_all()
    assert stat.status is Status.PROVED and l1.status is Status.PROVED
    assert m3.convexity_all().status is Status.PROVED
    names = {str(s) for s in stat.free_symbols() | l1.free_symbols()}
    assert {"d", "r"} <= names
    ev = [Evidence(Role.STATEMENT, x, coverage=Coverage.ALL) for x in (stat, l1)]
    assert verdict_of(m3.STATEMENT, ev)[0] is Verdict.VERIFIED
    assert m3.numeric_check().status is Status.NUMERIC


def test_lemma3_mutations_fail():
    from proofs.koehler2022 import lemma3_optimal_encoder_variance as m3
    v = indexed_linear_vae()
    half = m3.stationarity_all(optimum=lambda jj: v.optimal_D(jj) / 2)  # missing factor 1/2 in D*
    assert half.status is Status.FAILED
    l1 = m3.l1_all()
    assert holds(l1.start, v.loss_L1() + sp.log(EPS) / 2) is Status.FAILED  # wrong constant
    assert holds(l1.start, v.loss_L1().subs(d - r, d - r + 1)) is Status.FAILED or \
        holds(l1.start, v.loss_L1() + sp.log(EPS)) is Status.FAILED  # wrong coefficient of log ε
    assert holds(l1.start, transpose(v.loss_L1(), v.Bt)) is Status.FAILED  # transpose of B̃
    bad = m3.numeric_check(shapes=[(12, 7, 3)], l1=v.loss_L1() + sp.log(EPS) / 2)
    assert bad.status is Status.FAILED and bad.witness
    bad = m3.numeric_check(shapes=[(12, 7, 3)], stationary=m3.directional_derivative() / 2)  # derivative off by 1/2
    assert bad.status is Status.FAILED


# ---- Lemma 8 --------------------------------------------------------------------------------------
def test_lemma8_dimension_free_and_coverage():
    from proofs.koehler2022 import lemma8_linear_vae_loss as m8
    ders = [m8.integrand_all(), m8.gaussian_all(), m8.closed_form_all()]
    assert all(x.status is Status.PROVED for x in ders)
    ev = [Evidence(Role.STATEMENT, x, coverage=Coverage.ALL) for x in ders]
    assert verdict_of(m8.STATEMENT, ev)[0] is Verdict.VERIFIED
    assert m8.numeric_check().status is Status.NUMERIC


def test_lemma8_mutations_fail():
    from proofs.koehler2022 import lemma8_linear_vae_loss as m8
    v = indexed_linear_vae()
    assert m8.gaussian_all(coefficient=2).status is Status.FAILED  # wrong constant
    assert holds(v.integrand_9(), transpose(m8.second_display(), v.At)) is Status.FAILED  # transpose
    closed = m8.closed_form_all()
    assert holds(closed.start, v.loss_L() + v.code() / 2) is Status.FAILED  # missing 1/2
    bad = m8.numeric_check(shapes=[(9, 9, 3)], display=transpose(m8.second_display(), v.Bt))  # square: B̃ᵀ defined
    assert bad.status is Status.FAILED and bad.witness


# ---- Lemma 5 --------------------------------------------------------------------------------------
def test_lemma5_dimension_free_and_mutations():
    from proofs.koehler2022 import lemma5_gradient_correlation as m5
    for loss in m5.LOSSES:
        der = m5.derivation_all(loss)
        assert der.status is Status.PROVED
        assert {"d", "r"} <= {str(s) for s in der.free_symbols()}
        assert verdict_of(m5.STATEMENT, [Evidence(Role.STATEMENT, der, coverage=Coverage.ALL)])[0] is Verdict.VERIFIED
    assert m5.derivation_all("L", remainder_factor=sp.Rational(1, 2)).status is Status.FAILED  # missing factor 2
    start, rem, rhs = m5._indexed_parts("L1")
    wrong_index = rhs.replace(sp.KroneckerDelta, lambda x, y: sp.KroneckerDelta(x, y + 1))  # row i+1, not i
    assert wrong_index != rhs
    assert holds(start, rem + wrong_index) is Status.FAILED
    parts = m5._indexed_parts("L")
    bad = m5.numeric_check_all(shapes=[(7, 5, 3)], parts={"L": (parts[0], parts[1] / 2, parts[2]),
                                                           "L1": m5._indexed_parts("L1")})
    assert bad.status is Status.FAILED


@pytest.mark.parametrize("loss", ["L", "L1"])
def test_lemma5_explicit_shape_derivation_expanded_start_still_fails_on_a_wrong_remainder(loss):
    from proofs.koehler2022 import lemma5_gradient_correlation as m5
    assert m5.derivation(3, 3, 1, loss).status is Status.PROVED
    wrong = m5.derivation(3, 3, 1, loss, remainder_factor=sp.Rational(1, 2))  # the fit term's factor 2 dropped
    assert wrong.steps[0].status is Status.FAILED and wrong.steps[0].witness is not None


# ---- Lemma 7 --------------------------------------------------------------------------------------
def test_lemma7_dimension_free_and_mutations():
    from proofs.koehler2022 import lemma7_vae_loss as m7
    der = m7.statement_all()
    assert der.status is Status.PROVED and {"d", "r"} <= {str(s) for s in der.free_symbols()}
    assert verdict_of(m7.STATEMENT, [Evidence(Role.STATEMENT, der, coverage=Coverage.ALL)])[0] is Verdict.VERIFIED
    assert m7.numeric_check_all().status is Status.NUMERIC
    wrong = m7.minus_elbo_all(log_pi_coefficient=1)  # (d/2) log 2π written d log 2π: a wrong constant
    assert m7.statement_all(start=wrong).status is Status.FAILED
    assert m7.numeric_check_all(shapes=[(4, 3)], start=wrong).status is Status.FAILED
    # the constant must be free of the dimensions' roles: -r/2, not -d/2
    assert holds(m7.minus_elbo_all(), m7.loss3_all() + d * sp.log(2 * sp.pi) / 2 - d / 2) is Status.FAILED
    # E z'_a z'_b = δ_ab: dropping the half of ||z||² (missing factor 1/2) is caught
    assert holds(m7.minus_elbo_all(), m7.loss3_all() + isum(m7._g(j) ** 2, (j, 1, r)) / 2
                 + d * sp.log(2 * sp.pi) / 2 - r / 2) is Status.FAILED


# ---- Lemma 4 --------------------------------------------------------------------------------------
def test_lemma4_every_reflection_and_mutations():
    from proofs.koehler2022 import lemma4_rotation_invariance as m4
    from verify.symbolic._indexed import OpaqueEntry
    value = m4.rotation_all("L1", "value")
    grad = m4.rotation_all("L", "Bt")
    assert value.status is Status.PROVED and grad.status is Status.PROVED
    assert {"d", "r"} <= {str(s) for s in value.free_symbols()}
    assert verdict_of(m4.STATEMENT, [Evidence(Role.STATEMENT, x, coverage=Coverage.ALL)
                                     for x in (value, grad)])[0] is Verdict.VERIFIED
    v = indexed_linear_vae()
    # a missing factor 1/2 in the rotated loss, a transpose of B̃ in it: both caught
    assert m4.rotation_all("L", "value", mutate=lambda e: e + v.code() / 2).status is Status.FAILED
    assert m4.rotation_all("L", "At", mutate=lambda e: transpose(e, v.Bt)).status is Status.FAILED
    # the reflection vector u_a = exp(w_a) - 2c is evaluated as its definition
    assert float(OpaqueEntry(sp.Rational(1, 2), sp.Rational(1, 3)).evalf()) == pytest.approx(np.exp(0.5) - 2 / 3)
    bad = m4.numeric_check_all(shapes=[(6, 6, 2)], mutate=lambda e: transpose(e, v.At))  # square: Ãᵀ defined
    assert bad.status is Status.FAILED


# ---- Theorem 3 (sufficiency) ----------------------------------------------------------------------
def test_theorem3_sufficiency_dimension_free_and_mutations():
    from proofs.koehler2022 import theorem3_asymptotic_minima as t3
    der = t3.sufficiency_all()
    assert der.status is Status.PROVED and {"d", "r"} <= {str(s) for s in der.free_symbols()}
    assert t3.sufficiency_numeric_all().status is Status.NUMERIC
    # a zero column contributing ½ log(2ε²) (wrong constant) breaks the coefficient d - r + k
    assert t3.sufficiency_all(zero_column_log=sp.log(2 * EPS**2)).status is Status.FAILED
    # the coefficient d - r (the zero columns forgotten) is refuted at concrete shapes
    m = t3.sp_symbol("m_nz")
    wrong = der.current - (r - m) * sp.log(EPS)
    assert t3.sufficiency_numeric_all(shapes=((6, 5, 2, 3),), F=wrong).status is Status.FAILED
    assert holds(der.start, wrong) is Status.FAILED


# ---- the engine's direct evaluation of the numeric points ------------------------------------------
def test_direct_value_agrees_with_sympy_evalf_and_declines_what_it_cannot_evaluate():
    import mpmath

    from verify.symbolic import expect
    from verify.symbolic._indexed import direct_value

    k = IDX["k"]
    x, z = sp.Symbol("x", positive=True), sp.Symbol("z", real=True)
    A = entry("A")
    inst = isum((k**2 + x) ** 2 / (1 + k), (k, 1, DIM_D)) + sp.log(x) * sp.pi + expect((z + x) ** 4, [z], [1], [x])
    point = {DIM_D: sp.Integer(7), x: sp.Rational(3, 7)}
    exact = sp.N(sum(((j**2 + sp.Rational(3, 7)) ** 2 / (1 + j)) for j in range(1, 8)) + sp.log(sp.Rational(3, 7)) * sp.pi
                 + expect((z + x) ** 4, [z], [1], [x]).doit().subs(x, sp.Rational(3, 7)), 60)
    value = direct_value(inst, point, 50)
    with mpmath.workdps(60):
        assert value is not None and abs(value - mpmath.mpf(str(exact))) < mpmath.mpf(10) ** -45
    wrong = direct_value(inst.subs(sp.pi, 3), point, 50)  # a wrong constant is seen
    assert abs(wrong - value) > 1e-3
    assert direct_value(A(1, 1) + x, point, 50) is None  # an undefined function: SymPy's path decides
    u0, u1 = sp.symbols("u0 u1")
    given = direct_value(isum(A(k, 2) ** 2, (k, 1, DIM_D)) + x, point, 50, functions={A: sp.Lambda((u0, u1), u0 - u1**2)})
    with mpmath.workdps(60):  # Σ_{k<=7} (k - 4)² + 3/7, the function applied as substitution would
        assert abs(given - mpmath.mpf(sum((j - 4) ** 2 for j in range(1, 8))) - mpmath.mpf(3) / 7) < mpmath.mpf(10) ** -45
    assert direct_value(sp.log(-x), point, 50) is None  # complex: SymPy's path decides (and reports)
    assert direct_value(1 / (x - sp.Rational(3, 7)), point, 50) is None  # division by zero
    assert direct_value(sp.Abs(x - 1), point, 50) is None  # a node it does not know
    assert direct_value(sp.Sum(k, (k, 1, DIM_D)), point, 50) is None  # SymPy's Sum (Karr's convention): SymPy decides
    assert direct_value(isum(k, (k, 1, x)), point, 50) is None  # a non-integral bound
