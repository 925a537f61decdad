"""One checked proof module per statement of the paper, named after it.

``STATEMENTS`` lists every statement in paper order with its id, where it is printed and its text;
``module`` names the proofs module that checks it (None: not yet checked).  ``check(id)`` runs it.
"""
from __future__ import annotations

import importlib

from verify import ClaimResult, Statement, VerifyError

__all__ = ["STATEMENTS", "statement", "check", "checkable_ids"]

_S = Statement

STATEMENTS: dict = {
    s.id: s
    for s in [
        _S("lemma1", "Loss to -inf forces eps -> 0 and perfect reconstruction", "Lemma 1, Section 4; proof in Appendix B.1",
           "If L(f_t, g_t, D_t, eps_t) -> -inf then eps_t -> 0 and E||x - f_t(g_t(x) + D_t^{1/2} z')||^2 -> 0.",
           "proofs.lemma1_loss_to_minus_infinity",
           formula=r"L(f_t,g_t,D_t,\epsilon_t)\to-\infty \;\Longrightarrow\; \epsilon_t\to 0 \;\text{ and }\; \mathbb{E}\|x-f_t(g_t(x)+D_t^{1/2}z')\|^2\to 0"),
        _S("lemma2", "Optimal decoder variance", "Lemma 2, Section 4; proof in Appendix B.1",
           "If f, g, D are fixed, the optimal eps minimising L is eps = sqrt((1/d) E||x - f(g(x) + D^{1/2} z')||^2).",
           "proofs.lemma2_optimal_decoder_variance",
           formula=r"\epsilon^{*} = \sqrt{\frac{1}{d}\,\mathbb{E}\|x - f(g(x)+D^{1/2}z')\|^2}"),
        _S("lemma3", "Optimal encoder variance and the simplified loss L1", "Lemma 3, Section 4.1, eq. (5)",
           "For fixed Ã, B̃, ε, L is minimised by D_ii = ε²/(||Ã_i||² + ε²), and L1 = min_D L = "
           "(1/2ε²)||A - ÃB̃A||_F² + ½||B̃A||_F² + (d - r) log ε + Σ_i (1 + log(||Ã_i||² + ε²))/2.",
           "proofs.lemma3_optimal_encoder_variance",
           formula=r"\tilde D_{ii} = \frac{\tilde\epsilon^2}{\|\tilde A_i\|^2+\tilde\epsilon^2},\qquad L_1 = \frac{1}{2\tilde\epsilon^2}\|A-\tilde A\tilde B A\|_F^2 + \frac12\|\tilde B A\|_F^2 + (d-r)\log\tilde\epsilon + \sum_{i=1}^{r} \frac{1+\log(\|\tilde A_i\|^2+\tilde\epsilon^2)}{2}"),
        _S("theorem3", "Asymptotic global minima of the linear VAE", "Theorem 3, Section 4.1",
           "Sufficiency: if A = ÃB̃A and #{i : Ã_i = 0} > r - d, then for any ε_t -> 0 there are D_t with (D_t)_ii -> 0 "
           "on nonzero columns and L -> -inf. Necessity: if L(Ã_t, B̃_t, D_t, ε_t) -> -inf then ε_t -> 0, "
           "||A - Ã_tB̃_tA||² -> 0, max_i (D_t)_ii||(Ã_t)_i||² -> 0, and for every δ > 0 "
           "liminf #{i : ||(Ã_t)_i||² < δ} > r - d.",
           "proofs.theorem3_asymptotic_minima",
           formula=r"A=\tilde A\tilde B A \;\text{ and }\; \#\{i:\tilde A_i=0\}>r-d \;\Longrightarrow\; L(\tilde A,\tilde B,\tilde D_t,\epsilon_t)\to-\infty \;\text{ as }\; \epsilon_t\to 0"),
        _S("theorem4", "Bad asymptotic minimum of a nonlinear VAE", "Theorem 4, Section 4.2, construction (6)",
           "For an arbitrary nonlinearity σ, s >= 1, d > r* + s, r > r* + 1: with (6), for eps_t -> 0 there are D_t "
           "with L -> -inf and exactly r* + s coordinates of D_t -> 0.",
           "proofs.theorem4_nonlinear_minimum",
           formula=r"f(z) = \tilde A_1 z + \sigma(\tilde A_2 z),\quad L\to-\infty \;\text{ with }\; \#\{i : (\tilde D_t)_{ii}\to 0\} = r^{*}+s"),
        _S("lemma4", "Rotational invariance", "Lemma 4, Section 5; proof in Appendix C",
           "L_A(Ã, B̃, D, ε) = L_{UA}(UÃ, B̃Uᵀ, D, ε); U∇_Ã L_A = ∇_{UÃ} L_{UA}; (∇_B̃ L_A)Uᵀ = ∇_{UB̃} L_{UA}; "
           "so GD and the flow commute with the rotation, for L and L1.",
           "proofs.lemma4_rotation_invariance",
           formula=r"L_A(\tilde A,\tilde B,\tilde D,\tilde\epsilon) = L_{UA}(U\tilde A,\tilde B U^{T},\tilde D,\tilde\epsilon)"),
        _S("lemma5", "Gradient correlation", "Lemma 5, Section 5",
           "If row i of A is zero: Σ_j Ã_ij ∂L/∂Ã_ij >= Σ_j D_jj Ã_ij²/ε² and Σ_j Ã_ij ∂L1/∂Ã_ij >= Σ_j Ã_ij²/(||Ã_j||² + ε²).",
           "proofs.lemma5_gradient_correlation",
           formula=r"\sum_j \tilde A_{ij}\frac{\partial L}{\partial \tilde A_{ij}} \ge \sum_j \frac{\tilde D_{jj}\tilde A_{ij}^2}{\tilde\epsilon^2}, \qquad \sum_j \tilde A_{ij}\frac{\partial L_1}{\partial \tilde A_{ij}} \ge \sum_j \frac{\tilde A_{ij}^2}{\|\tilde A_j\|^2+\tilde\epsilon^2}"),
        _S("lemma6", "Exponential decay of extra rows", "Lemma 6, Section 5",
           "Along the flow (1) with max_j ||Ã_j||² + ε² <= K, zero rows i of A give ||Ã^(i)(t)||² <= e^{-t/K} ||Ã^(i)(0)||².",
           "proofs.lemma6_row_decay",
           formula=r"\|\tilde A^{(i)}(t)\|^2 \le e^{-t/K}\,\|\tilde A^{(i)}(0)\|^2 \quad\text{for every zero row } A^{(i)}=0"),
        _S("theorem5", "Implicit bias of gradient flow", "Theorem 5, Section 5, eq. (7)",
           "A: d x r, W = span of the rows of A; along the flow (1) with max_j ||Ã_j||² + ε² <= K: "
           "Σ_{k > dim W} σ_k²(Ã(t)) <= ||P_{W⊥} Ãᵀ(t)||_F² <= e^{-t/K} ||P_{W⊥} Ãᵀ(0)||_F².",
           "proofs.theorem5_implicit_bias",
           formula=r"\sum_{k>\dim W}\sigma_k^2(\tilde A(t)) \le \|P_{W^\perp}\tilde A^{T}(t)\|_F^2 \le e^{-t/K}\,\|P_{W^\perp}\tilde A^{T}(0)\|_F^2"),
        _S("table1", "Linear VAEs find the support but not the density", "Section 6, Table 1 and the eigenvalue example",
           "Trained linear VAEs (latent dimension 20; A an r*xr* Gaussian matrix padded with zero rows to d) have "
           "the correct number r* of nonzero decoder rows in every setting; the number of zeros of the encoder "
           "variance is at least the number of nonzero rows; in no case does the learned density come close to "
           "the ground truth (normalized eigenvalue errors 0.30-0.71).",
           "proofs.table1_linear_experiment",
           formula=r"\#\{i:\|\tilde A^{(i)}\|>0\} = r^{*},\qquad \frac{\|\hat\lambda-\lambda\|}{\|\lambda\|}\in[0.30,\,0.71]"),
        _S("lemma7", "The VAE loss from the Gaussian densities", "Lemma 7, Appendix A, eq. (3)",
           "-E_x E_{z~q(z|x)}[log p(x|z) + log p(z) - log q(z|x)] equals (3) up to an additive constant.",
           "proofs.lemma7_vae_loss",
           formula=r"-\mathbb{E}_x\,\mathbb{E}_{z\sim q(z|x)}\big[\log p(x|z)+\log p(z)-\log q(z|x)\big] = (3) + \text{const}"),
        _S("lemma8", "The linear VAE loss in closed form", "Lemma 8, Appendix A, eqs. (8)-(10) and (4)",
           "For the linear VAE, the loss (9)-(10) equals (8) = (4): (1/2ε²)||A - ÃB̃A||_F² + ½||B̃A||_F² + d log ε "
           "+ ½ Σ_i (D_ii ||Ã_i||²/ε² + D_ii - log D_ii).",
           "proofs.lemma8_linear_vae_loss",
           formula=r"L = \frac{1}{2\tilde\epsilon^2}\|A-\tilde A\tilde BA\|_F^2+\frac12\|\tilde BA\|_F^2+d\log\tilde\epsilon+\frac12\sum_{i}\Big(\frac{\tilde D_{ii}\|\tilde A_i\|^2}{\tilde\epsilon^2}+\tilde D_{ii}-\log\tilde D_{ii}\Big)"),
    ]
}


def statement(statement_id: str) -> Statement:
    """The statement with this id; an unknown id is a :class:`VerifyError` that lists the known ones."""
    try:
        return STATEMENTS[statement_id]
    except KeyError:
        raise VerifyError("statement id", statement_id, f"unknown; known ids: {', '.join(STATEMENTS)}") from None


def checkable_ids() -> list:
    return [s.id for s in STATEMENTS.values() if s.module]


def check(statement_id: str) -> ClaimResult:
    """Run the proofs module of ``statement_id`` and return its verdict with the evidence."""
    s = statement(statement_id)
    if s.module is None:
        raise VerifyError("statement id", statement_id, "is not checked yet")
    module = importlib.import_module(s.module)
    return module.check()
