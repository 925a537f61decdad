"""dai2017: each check passes on the right formula and fails, with a witness, on a mutated one."""
import numpy as np
import pytest
import sympy as sp

from proofs.dai2017 import NOT_CHECKED, PAPER
from proofs.dai2017 import ppca_encoder, ppca_optimum, robust_outliers
from proofs.dai2017._ppca import (PPCA, data_matrix, optimal_value, ppca_nll, ppca_solution, random_covariance,
                                  symbolic_ppca)
from verify import Status, VerifyError, registry
from verify.cli import main


def test_the_paper_is_registered_and_the_main_paper_stays_first():
    assert registry.paper("dai2017") is PAPER
    assert registry.main.key == "koehler2022"
    assert PAPER.checkable_ids() == ["ppca_optimum", "ppca_encoder", "robust_outliers"]
    assert PAPER.NOT_CHECKED == NOT_CHECKED and all(len(x) == 2 and x[1] for x in NOT_CHECKED)


@pytest.mark.parametrize("sid,verdict", [("ppca_optimum", "verified_bounded"), ("ppca_encoder", "verified_numerically"),
                                         ("robust_outliers", "verified_numerically")])
def test_verdicts(sid, verdict):
    result = PAPER.check(sid)
    assert result.error is None
    assert result.verdict.value == verdict, result.verdict_reason


# ---- the PPCA optimum ------------------------------------------------------------------------------
def test_stationarity_fails_for_a_wrong_noise_variance():
    m = symbolic_ppca(2)
    assert all(x.status is Status.PROVED for x in ppca_optimum.stationarity(2))
    wrong = ppca_optimum.stationarity(2, sigma2=(m.lam[0] + m.lam[1]) / 2)  # mean of ALL eigenvalues
    assert any(x.status is Status.FAILED for x in wrong)


def test_decomposition_fails_for_a_wrong_minimum_value():
    m = symbolic_ppca(2)
    assert all(x.status is Status.PROVED for x in ppca_optimum.decomposition(2))
    bad = ppca_optimum.decomposition(2, value=m.value - sp.Rational(1, 2))  # d + q -> d + q - 1
    assert bad[0].status is Status.FAILED


def test_the_nonnegativity_chain_fails_when_a_phi_term_is_subtracted():
    assert ppca_optimum.abstract_chain(2).status is Status.PROVED
    assert ppca_optimum.abstract_chain(2, flip=True).status is Status.FAILED


def test_numeric_check_fails_for_a_wrong_closed_form():
    def wrong(Sigma, q):  # σ² = mean of all eigenvalues
        p = ppca_solution(Sigma, q)
        s2 = float(np.mean(p.eigenvalues))
        W = p.W
        M = W.T @ W + s2 * np.eye(q)
        return PPCA(W, s2, np.linalg.solve(M, W.T), s2 * np.linalg.inv(M), p.eigenvalues)
    check, _ = ppca_optimum.numeric_check(shapes=((3, 1),), starts=2, solution=wrong)
    assert check.status is Status.FAILED and "closed form" in check.witness


def test_closed_form_agrees_with_the_independent_ppca_likelihood_and_refuses_bad_input():
    rng = np.random.default_rng(1)
    S = random_covariance(6, rng)
    p = ppca_solution(S, 2)
    assert abs(ppca_nll(S, p.W, p.sigma2) - 3 * np.log(2 * np.pi) + 1 - optimal_value(S, 2)) < 1e-12
    assert np.allclose(data_matrix(S) @ data_matrix(S).T, S)
    with pytest.raises(VerifyError):
        ppca_solution(S, 6)
    with pytest.raises(VerifyError):
        ppca_solution(-S, 2)


# ---- the encoder -----------------------------------------------------------------------------------
def test_mean_map_stationarity_fails_without_the_noise_term():
    assert all(x.status is Status.PROVED for x in ppca_encoder.mean_map_stationarity(2, 1))
    bad = ppca_encoder.mean_map_stationarity(2, 1, mean_map=lambda m: (m.At.T * m.At).inv() * m.At.T)
    assert any(x.status is Status.FAILED for x in bad)


def test_a_rotated_decoder_is_not_optimal_and_costs_the_hadamard_gap():
    S = random_covariance(5, np.random.default_rng(2))
    assert abs(ppca_encoder.rotation_excess(S, 2, np.eye(2))[0]) < 1e-12
    c, s = np.cos(0.7), np.sin(0.7)
    excess, had = ppca_encoder.rotation_excess(S, 2, np.array([[c, -s], [s, c]]))
    assert excess > 1e-6 and abs(excess - had) < 1e-10


# ---- robustness ------------------------------------------------------------------------------------
def test_the_isotropic_control_fails_like_pca():
    small = {"instances": 2, "n": 30, "starts": 1}
    assert robust_outliers.report(small).evidence[0].item.status is Status.NUMERIC
    control = robust_outliers.report(small, isotropic=True).evidence[0].item
    assert control.status is Status.FAILED and "PCA" in control.witness


def test_the_energy_gradient_is_exact():
    from scipy.optimize import check_grad
    rng = np.random.default_rng(3)
    X, _, _ = robust_outliers.make_instance(5, 2, 8, 0.1, 3.0, rng)
    for iso in (False, True):
        y = rng.standard_normal(5 * 2 + 8 * 2 * 2 + iso) * 0.5
        f = lambda v: robust_outliers.energy(v, X, 2, iso)[0]  # noqa: E731
        g = lambda v: robust_outliers.energy(v, X, 2, iso)[1]  # noqa: E731
        assert check_grad(f, g, y) < 1e-4 * (1 + np.linalg.norm(g(y)))


def test_the_experiment_refuses_bad_options(tmp_path, capsys):
    assert main(["reproduce", "dai2017:robust_pca", "--q", "12", "--d", "10", "--instances", "1",
                 "--out", str(tmp_path / "x")]) != 0
    assert main(["reproduce", "dai2017:robust_pca", "--fraction", "0.9", "--out", str(tmp_path / "y")]) == 2
