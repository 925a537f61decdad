"""Hypothesis strategies, property checks, and the property-based statements (Lemmas 1, 4, 5, 6,
Theorems 3, 4, 5): each property holds as the paper (or its correction) states it, and a mutated
statement (a wrong threshold, rate, factor or index) gives a shrunk counterexample."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verify import Status, Verdict, VerifyError
from verify.properties import Outcome, property_check
from verify.strategies import active_profile, data_matrices, dimensions, flow_starts, linear_points, profile_settings



# ---- strategies -----------------------------------------------------------------------------------
@given(st.data())
def test_data_matrices_have_exact_rank_and_zero_rows_unless_rotated(data):
    dims = data.draw(dimensions(max_d=7, max_r=7))
    rank = data.draw(st.integers(1, dims.r_star))
    rotated = data.draw(st.booleans())
    A = data.draw(data_matrices(dims.d, dims.r_star, rotated, rank))
    assert A.shape == (dims.d, dims.r_star)
    assert np.linalg.matrix_rank(A) == rank
    if not rotated:
        assert np.all(A[rank:] == 0)


@given(linear_points(max_d=5, max_r=5))
def test_linear_points_are_valid_arguments_of_the_loss(p):
    assert p.A.shape[0] == p.d > p.A.shape[1] and p.At.shape == (p.d, p.r) and p.Bt.shape == (p.r, p.d)
    assert np.all(p.D > 0) and p.eps > 0


@given(flow_starts(max_d=5, max_r=5, same_r=True, rank_deficient=True))
def test_flow_starts_can_ask_for_r_equal_r_star_and_rank_below_it(x):
    assert x.r == x.A.shape[1] and np.linalg.matrix_rank(x.A) < x.r


def test_the_profiles_live_in_one_place_and_an_unknown_one_is_named(monkeypatch):
    assert active_profile() in ("ci", "dev", "thorough")
    assert profile_settings("ci").derandomize and profile_settings("ci").database is None
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "fast")
    with pytest.raises(VerifyError, match="HYPOTHESIS_PROFILE.*fast"):
        active_profile()


def test_property_check_reports_a_shrunk_witness_and_can_pass():
    failing = property_check("n < 10", st.integers(0, 1000), lambda n: Outcome(n < 10, n, f"n = {n}"),
                             method="compare", scope="integers")
    assert failing.status is Status.FAILED and failing.witness.startswith("Hypothesis shrank a counterexample to 10:")
    passing = property_check("n >= 0", st.integers(0, 1000), lambda n: Outcome(n >= 0, -n), method="compare", scope="integers")
    assert passing.status is Status.NUMERIC and passing.witness is None and "instances drawn" in passing.scope


def test_fixed_instances_catch_what_the_draws_miss():
    # a failure only at one point: the draws (0..1000, 25 of them) cannot be relied on to hit it
    prop = lambda n: Outcome(n != 777_777, float(n == 777_777), f"n = {n}")
    missed = property_check("n != 777777", st.integers(0, 10**6), prop, method="compare", scope="integers")
    assert missed.status is Status.NUMERIC
    caught = property_check("n != 777777", st.integers(0, 10**6), prop, method="compare", scope="integers",
                            examples=(0, 777_777))
    assert caught.status is Status.FAILED and caught.witness.startswith("the fixed instance 777777 fails")
    passing = property_check("n >= 0", st.integers(0, 10), lambda n: Outcome(n >= 0, -n), method="compare",
                             scope="integers", examples=(0, 3))
    assert passing.status is Status.NUMERIC and "2 fixed" in passing.scope and "fixed instance(s)" in passing.method


def test_lemma1_bound_is_checked_where_it_is_attained():
    from proofs.koehler2022 import lemma1_loss_to_minus_infinity as l1

    for p in l1.attaining_points():  # L equals the bound there, so any larger constant or term fails
        from verify.numeric import loss_L, reconstruction_error

        gap = loss_L(p.A, p.At, p.Bt, p.D, p.eps) - l1.corrected_bound(reconstruction_error(p.A, p.At, p.Bt, p.D),
                                                                         p.eps, p.d, p.r)
        assert abs(gap) < 1e-9
    slightly_more = l1.bound_property(lambda R, eps, d, r: 1.001 * R / (2 * eps**2) + d * np.log(eps) + r / 2, "1.001 R/(2ε²)")
    assert slightly_more.status is Status.FAILED


# ---- Lemma 5 ----------------------------------------------------------------------------------------
def test_lemma5_is_verified_symbolically_with_the_index_erratum(checked):
    r = checked("lemma5")
    assert r.verdict is Verdict.VERIFIED
    assert [e.where for e in r.errata] == ["proof of Lemma 5, second display"]


@pytest.mark.parametrize("mutation", ["strict", "factor 2", "every row"])
def test_lemma5_mutations_are_caught(mutation):
    from proofs.koehler2022 import lemma5_gradient_correlation as l5

    kw = {"strict": dict(strict=True), "every row": dict(rows="all"),
          "factor 2": dict(rhs=lambda At, D, eps, i: 2 * l5.printed_rhs_L1(At, D, eps, i))}[mutation]
    chk = l5.inequality_property("L1", max_examples=200, **kw)
    assert chk.status is Status.FAILED and "shrank" in chk.witness
    if mutation == "strict":  # the printed >= is tight: both sides vanish when row i of Ã is 0
        assert "right-hand side 0" in chk.witness


def test_lemma5_identity_catches_a_wrong_remainder():
    from proofs.koehler2022 import lemma5_gradient_correlation as l5

    assert l5.identity_property("L", remainder_fn=lambda p, i: 0.5 * l5.remainder(p, i)).status is Status.FAILED


# ---- Theorem 3 --------------------------------------------------------------------------------------
def test_theorem3_is_verified_numerically_with_the_eps_le_1_erratum(checked):
    r = checked("theorem3")
    assert r.verdict is Verdict.VERIFIED_NUMERICALLY
    (erratum,) = r.errata
    assert "ε <= 1" in erratum.correction and "shrank" in erratum.witness
    assert all(e.status is Status.PROVED for e in r.evidence if getattr(e.item, "title", "").startswith("Theorem 3"))


def test_theorem3_wrong_rate_is_caught():
    from proofs.koehler2022 import theorem3_asymptotic_minima as t3

    assert t3.sufficiency_property(coefficient=lambda p: p.d - p.r + p.k + 1).status is Status.FAILED
    assert t3.sufficiency_property(coefficient=lambda p: p.d - p.r).status is Status.FAILED  # zero columns ignored


def test_theorem3_wrong_threshold_in_conclusion_3_is_caught():
    from proofs.koehler2022 import theorem3_asymptotic_minima as t3

    chk = t3.necessity_property(conclusion_3=lambda n, r, d: n > r - d + 1)
    assert chk.status is Status.FAILED and "conclusion 3" in chk.witness


def test_theorem3_bounded_below_needs_the_small_column_count():
    from proofs.koehler2022 import theorem3_asymptotic_minima as t3

    assert t3.bounded_below_property().status is Status.NUMERIC
    assert t3.first_inequality_property(eps_max=1.0).status is Status.NUMERIC
    assert t3.first_inequality_property(eps_max=3.0).status is Status.FAILED


# ---- Lemma 1 ----------------------------------------------------------------------------------------
def test_lemma1_holds_and_the_proofs_constant_is_refuted(checked):
    r = checked("lemma1")
    assert r.verdict is Verdict.VERIFIED_NUMERICALLY
    (bound,) = [e for e in r.errata if "c/ε²" in e.printed]
    assert "shrank" in bound.witness and "c/(2ε²)" in bound.correction


def test_lemma1_wrong_constant_is_caught():
    from proofs.koehler2022 import lemma1_loss_to_minus_infinity as l1

    chk = l1.bound_property(lambda R, eps, d, r: R / (2 * eps**2) + d * np.log(eps) + r, "r instead of r/2")
    assert chk.status is Status.FAILED


# ---- Theorem 4 --------------------------------------------------------------------------------------
def test_theorem4_fails_for_the_logistic_sigmoid_and_holds_with_sigma0_zero(checked):
    r = checked("theorem4")
    assert r.verdict is Verdict.HOLDS_AS_CORRECTED
    sigma = next(e for e in r.errata if "nonlinearity" in e.where)
    assert "σ = logistic" in sigma.witness and "σ(0) = 0" in sigma.correction
    assert any("r >= r* + s" in e.correction for e in r.errata)
    assert any("first display" in e.where for e in r.errata) and any("second display" in e.where for e in r.errata)


def test_theorem4_wrong_rate_is_caught():
    from proofs.koehler2022 import theorem4_nonlinear_minimum as t4

    assert t4.loss_property(t4.CENTRED, rate=lambda x: x.d - x.r_star).status is Status.FAILED


# ---- flows: Lemmas 4, 6 and Theorem 5 ------------------------------------------------------------------
def test_lemma6_property_catches_a_wrong_rate():
    from proofs.koehler2022 import lemma6_row_decay as l6

    chk = l6.decay_property(rate=50.0)
    assert chk.status is Status.FAILED and "fails at t=" in chk.witness


def test_theorem5_property_catches_a_wrong_rate():
    from proofs.koehler2022 import theorem5_implicit_bias as t5

    assert t5.corrected_property(rate=50.0).status is Status.FAILED


def test_theorem5_printed_reading_is_refuted_by_a_shrunk_flow(checked):
    r = checked("theorem5")
    assert r.verdict is Verdict.HOLDS_AS_CORRECTED
    assert "shrank" in r.errata[0].witness and "r*=" in r.errata[0].witness


def test_lemma4_property_catches_a_wrong_transformation(monkeypatch):
    from proofs.koehler2022 import lemma4_rotation_invariance as l4

    def wrong(U, v, d, r):  # B̃U instead of B̃Uᵀ
        a = v[: d * r].reshape(d, r)
        b = v[d * r : 2 * d * r].reshape(r, d)
        return np.concatenate([(U @ a).ravel(), (b @ U).ravel(), v[2 * d * r :]])

    monkeypatch.setattr(l4, "rotate_parameters", wrong)
    assert l4.invariance_property().status is Status.FAILED
