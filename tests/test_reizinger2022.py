"""reizinger2022: each check passes on the right formula and fails, with a witness, on a mutated one."""
import numpy as np
import pytest
import sympy as sp

from proofs.reizinger2022 import NOT_CHECKED, PAPER
from proofs.reizinger2022 import gap_ima, ima_contrast, self_consistency
from proofs.reizinger2022._model import c_ima, gap_closed_form, gap_numeric, optimal_encoder, symbolic_model
from verify import Status, VerifyError, registry


def test_the_paper_is_registered_with_its_unchecked_claims():
    assert registry.paper("reizinger2022") is PAPER
    assert PAPER.checkable_ids() == ["self_consistency", "gap_ima", "ima_contrast"]
    assert PAPER.NOT_CHECKED == NOT_CHECKED and all(len(x) == 2 and x[1] for x in NOT_CHECKED)


@pytest.mark.parametrize("sid", ["self_consistency", "gap_ima", "ima_contrast"])
def test_verdicts(sid):
    result = PAPER.check(sid)
    assert result.error is None
    assert result.verdict.value == "verified_bounded", result.verdict_reason
    assert result.findings


# ---- self-consistency ------------------------------------------------------------------------------
def test_stationarity_fails_for_the_pseudo_inverse_at_positive_eps():
    m = symbolic_model(2, 1)
    assert all(x.status is Status.PROVED for x in self_consistency.stationarity(2, 1))
    wrong = self_consistency.stationarity(2, 1, Bt=m.pinv())  # Ã⁺ is optimal only in the limit
    assert any(x.status is Status.FAILED for x in wrong)
    wrong_D = self_consistency.stationarity(2, 1, D=tuple(m.eps**2 / (m.col_sq(i) + 1) for i in range(1)))
    assert any(x.status is Status.FAILED for x in wrong_D)


def test_the_limit_fails_for_a_wrong_target():
    m = symbolic_model(2, 1)
    bad = self_consistency.limits(2, 1, target=m.At.T)  # Ãᵀ instead of Ã⁺
    assert any(x.status is Status.FAILED for x in bad)


def test_numeric_gradient_check_fails_for_a_wrong_encoder():
    def no_eps(At, eps):
        B, D = optimal_encoder(At, eps)
        return np.linalg.pinv(At), D
    grad, _ = self_consistency.numeric_check(shapes=((3, 1), (5, 2)), encoder=no_eps)
    assert grad.status is Status.FAILED and "max |∂L/∂(B̃, D̃)|" in grad.witness


# ---- the gap ---------------------------------------------------------------------------------------
def test_expected_gap_fails_for_a_mutated_closed_form():
    m = symbolic_model(2, 1)
    bad = gap_ima.expected_gap(2, 1, closed=m.gap_closed_form() + sp.log(m.eps))
    assert bad.status is Status.FAILED


def test_limit_fails_for_a_mutated_contrast():
    m = symbolic_model(2, 2)
    _, der = gap_ima.limit_checks(2, 2, contrast=m.c_ima(plus=True))
    assert der.status is Status.FAILED


def test_numeric_gap_checks_fail_for_a_mutated_closed_form():
    def full_logdet(At, eps):  # the log det without the ½
        return gap_closed_form(At, eps) - 0.5 * np.linalg.slogdet(At.T @ At + eps**2 * np.eye(At.shape[1]))[1]
    assert gap_ima.numeric_agreement(shapes=((3, 2),), closed=full_logdet).status is Status.FAILED
    assert gap_ima.pointwise_numeric(shapes=((3, 2),), closed=full_logdet).status is Status.FAILED
    assert gap_ima.numeric_agreement(shapes=((3, 2), (6, 3))).status is Status.NUMERIC


def test_gap_is_independent_of_the_pieces_and_refuses_rank_deficient_decoders():
    At = np.random.default_rng(0).standard_normal((4, 2))
    assert abs(gap_numeric(At, 0.1) - gap_closed_form(At, 0.1)) < 1e-10
    assert gap_closed_form(At, 1e-3) <= c_ima(At) + 1e-12
    with pytest.raises(VerifyError):
        gap_numeric(np.ones((3, 2)), 0.1)


def test_rate_finding_is_computed():
    check, rows, monotone = gap_ima.rate_search(shapes=((3, 2), (6, 3)))
    assert check.status is Status.NUMERIC and monotone
    assert all(1.9 < slope < 2.1 for _, _, slope, _, _ in rows)


# ---- the IMA contrast ------------------------------------------------------------------------------
def test_cholesky_chain_fails_for_mutated_contrasts():
    assert ima_contrast.cholesky_chain(2).status is Status.PROVED
    assert ima_contrast.cholesky_chain(2, plus=True).status is Status.FAILED
    assert ima_contrast.cholesky_chain(2, half=False).status is Status.FAILED


def test_search_finds_counterexamples_to_mutated_contrasts():
    def no_half(A):
        return float(np.sum(np.log(np.linalg.norm(A, axis=0))) - np.linalg.slogdet(A.T @ A)[1])

    def plus(A):
        return float(np.sum(np.log(np.linalg.norm(A, axis=0))) + 0.5 * np.linalg.slogdet(A.T @ A)[1])
    for mutant in (no_half, plus):
        check, _ = ima_contrast.counterexample_search(shapes=((2, 2), (3, 2)), starts=4, contrast=mutant)
        assert check.status is Status.FAILED and "C_IMA = -" in check.witness
    check, _ = ima_contrast.counterexample_search(shapes=((2, 2), (3, 2)), starts=4)
    assert check.status is Status.NUMERIC
