"""Findings come from searches that can come out the other way: a constant that is not sharp is
not called sharp, a family without counterexamples gives none, and the rates are measured."""
import numpy as np
import pytest

from proofs.koehler2022 import lemma1_loss_to_minus_infinity as l1
from proofs.koehler2022 import lemma5_gradient_correlation as l5
from proofs.koehler2022 import theorem3_asymptotic_minima as t3
from proofs.koehler2022 import theorem4_nonlinear_minimum as t4
from verify import FindingKind
from verify import tolerances as tol
from verify.findings import log_slope, minimise_from_starts


def test_lemma1_constant_half_is_attained_and_a_quarter_is_not():
    search, raised = l1.sharpness_search(0.5)
    assert search.value <= tol.SHARP_GAP and raised > 0
    weaker, _ = l1.sharpness_search(0.25)  # R/(4ε²): slack R/(4ε²) > 0 at every point with R > 0
    assert weaker.value > 1e-2
    finding = l1.sharpness_finding()
    assert finding.kind is FindingKind.SHARPNESS and "sharp" in finding.title


@pytest.mark.parametrize("loss", ["L", "L1"])
def test_lemma5_inequality_is_attained_but_not_with_a_larger_constant(loss):
    assert abs(l5.sharpness_search(loss).value) <= tol.SHARP_GAP
    assert l5.sharpness_search(loss, 1.01).value < -tol.SHARP_GAP


def test_theorem3_converse_search_finds_the_counterexample_only_below_alpha_one():
    finding = t3.converse_finding()
    assert finding.kind is FindingKind.CONVERSE and "not sufficient" in finding.title
    rows = t3.converse_search(alphas=(1.0, 1.5, 2.0))
    assert all(r["slope"] > 0 for r in rows)  # L1 -> -inf: no counterexample in this family
    (bad,) = t3.converse_search(alphas=(0.5,))
    assert bad["slope"] < 0 and bad["recon"] < 1e-5 and bad["small"] > 0


def test_theorem4_rates_are_measured_and_a_broken_good_minimiser_is_seen():
    res = t4.competing_rates()
    assert abs(res["bad"][1] - 1) < 0.05 and abs(res["good"][1] - 2) < 0.05
    # a "good" minimiser whose encoder variance does not vanish has no rate d - r*
    original = t4.good_minimiser

    def broken(x, eps):
        f, g, D = original(x, eps)
        return f, g, np.ones_like(D)

    t4.good_minimiser = broken
    try:
        assert t4.competing_rates()["good"][1] < 1.5
    finally:
        t4.good_minimiser = original


def test_search_helpers():
    found = minimise_from_starts(lambda x: float((x[0] - 3) ** 2 + 1), [np.zeros(1), np.ones(1)])
    assert abs(found.value - 1) < 1e-8 and found.starts == 2 and found.evaluations > 0
    assert abs(log_slope([2 * np.log(e) for e in (1e-1, 1e-2)], (1e-1, 1e-2)) - 2) < 1e-12
    with pytest.raises(ValueError):
        log_slope([1.0], [0.1])
