"""Koehler, Mehta, Zhou, Risteski (2022): "Variational autoencoders in the presence of
low-dimensional data: landscape and implicit bias".

One module per statement, named after it (``lemma5_gradient_correlation.py`` holds Lemma 5), each
registering its proof with ``@PAPER.proof(id)``; the experiments of Section 6 register with
``@PAPER.experiment``.  The statements are listed here in paper order, with their scope: the objects
the paper claims them for.
"""
from __future__ import annotations

from verify import Paper, Statement

__all__ = ["PAPER", "STATEMENTS", "ESTABLISHES"]

_S = Statement

#: the dimension symbols of a statement about the linear VAE of every shape
LINEAR_DIMS = ("d", "r")

STATEMENTS = (
    _S("lemma1", "Loss to -inf forces eps -> 0 and perfect reconstruction", "Lemma 1, Section 4; proof in Appendix B.1",
       "If L(f_t, g_t, D_t, eps_t) -> -inf then eps_t -> 0 and E||x - f_t(g_t(x) + D_t^{1/2} z')||^2 -> 0.",
       formula=r"L(f_t,g_t,D_t,\epsilon_t)\to-\infty \;\Longrightarrow\; \epsilon_t\to 0 \;\text{ and }\; \mathbb{E}\|x-f_t(g_t(x)+D_t^{1/2}z')\|^2\to 0",
       scope="every decoder f, encoder g, D > 0, ε > 0 and every d, r (the data any distribution with finite second moment)",
       dimensions=("d", "r")),
    _S("lemma2", "Optimal decoder variance", "Lemma 2, Section 4; proof in Appendix B.1",
       "If f, g, D are fixed, the optimal eps minimising L is eps = sqrt((1/d) E||x - f(g(x) + D^{1/2} z')||^2).",
       formula=r"\epsilon^{*} = \sqrt{\frac{1}{d}\,\mathbb{E}\|x - f(g(x)+D^{1/2}z')\|^2}",
       scope="fixed f, g, D and every d >= 1 (a scalar problem in ε)",
       dimensions=()),
    _S("lemma3", "Optimal encoder variance and the simplified loss L1", "Lemma 3, Section 4.1, eq. (5)",
       "For fixed Ã, B̃, ε, L is minimised by D_ii = ε²/(||Ã_i||² + ε²), and L1 = min_D L = "
       "(1/2ε²)||A - ÃB̃A||_F² + ½||B̃A||_F² + (d - r) log ε + Σ_i (1 + log(||Ã_i||² + ε²))/2.",
       formula=r"\tilde D_{ii} = \frac{\tilde\epsilon^2}{\|\tilde A_i\|^2+\tilde\epsilon^2},\qquad L_1 = \frac{1}{2\tilde\epsilon^2}\|A-\tilde A\tilde B A\|_F^2 + \frac12\|\tilde B A\|_F^2 + (d-r)\log\tilde\epsilon + \sum_{i=1}^{r} \frac{1+\log(\|\tilde A_i\|^2+\tilde\epsilon^2)}{2}",
       scope="every d, r >= 1, A of any rank, every Ã, B̃ and ε > 0",
       dimensions=LINEAR_DIMS),
    _S("theorem3", "Asymptotic global minima of the linear VAE", "Theorem 3, Section 4.1",
       "Sufficiency: if A = ÃB̃A and #{i : Ã_i = 0} > r - d, then for any ε_t -> 0 there are D_t with (D_t)_ii -> 0 "
       "on nonzero columns and L -> -inf. Necessity: if L(Ã_t, B̃_t, D_t, ε_t) -> -inf then ε_t -> 0, "
       "||A - Ã_tB̃_tA||² -> 0, max_i (D_t)_ii||(Ã_t)_i||² -> 0, and for every δ > 0 "
       "liminf #{i : ||(Ã_t)_i||² < δ} > r - d.",
       formula=r"A=\tilde A\tilde B A \;\text{ and }\; \#\{i:\tilde A_i=0\}>r-d \;\Longrightarrow\; L(\tilde A,\tilde B,\tilde D_t,\epsilon_t)\to-\infty \;\text{ as }\; \epsilon_t\to 0",
       scope="every d, r >= 1 and A of any rank r* <= d",
       dimensions=LINEAR_DIMS),
    _S("theorem4", "Bad asymptotic minimum of a nonlinear VAE", "Theorem 4, Section 4.2, construction (6)",
       "For an arbitrary nonlinearity σ, s >= 1, d > r* + s, r > r* + 1: with (6), for eps_t -> 0 there are D_t "
       "with L -> -inf and exactly r* + s coordinates of D_t -> 0.",
       formula=r"f(z) = \tilde A_1 z + \sigma(\tilde A_2 z),\quad L\to-\infty \;\text{ with }\; \#\{i : (\tilde D_t)_{ii}\to 0\} = r^{*}+s",
       scope="every nonlinearity σ, s >= 1, d > r* + s, r > r* + 1",
       dimensions=("d", "r")),
    _S("lemma4", "Rotational invariance", "Lemma 4, Section 5; proof in Appendix C",
       "L_A(Ã, B̃, D, ε) = L_{UA}(UÃ, B̃Uᵀ, D, ε); U∇_Ã L_A = ∇_{UÃ} L_{UA}; (∇_B̃ L_A)Uᵀ = ∇_{UB̃} L_{UA}; "
       "so GD and the flow commute with the rotation, for L and L1.",
       formula=r"L_A(\tilde A,\tilde B,\tilde D,\tilde\epsilon) = L_{UA}(U\tilde A,\tilde B U^{T},\tilde D,\tilde\epsilon)",
       scope="every d, r >= 1, every orthogonal U (d x d), L and L1, GD and the flow (1)",
       dimensions=LINEAR_DIMS),
    _S("lemma5", "Gradient correlation", "Lemma 5, Section 5",
       "If row i of A is zero: Σ_j Ã_ij ∂L/∂Ã_ij >= Σ_j D_jj Ã_ij²/ε² and Σ_j Ã_ij ∂L1/∂Ã_ij >= Σ_j Ã_ij²/(||Ã_j||² + ε²).",
       formula=r"\sum_j \tilde A_{ij}\frac{\partial L}{\partial \tilde A_{ij}} \ge \sum_j \frac{\tilde D_{jj}\tilde A_{ij}^2}{\tilde\epsilon^2}, \qquad \sum_j \tilde A_{ij}\frac{\partial L_1}{\partial \tilde A_{ij}} \ge \sum_j \frac{\tilde A_{ij}^2}{\|\tilde A_j\|^2+\tilde\epsilon^2}",
       scope="every d, r >= 1, every A with a zero row i, every Ã, B̃, D > 0, ε > 0",
       dimensions=LINEAR_DIMS),
    _S("lemma6", "Exponential decay of extra rows", "Lemma 6, Section 5",
       "Along the flow (1) with max_j ||Ã_j||² + ε² <= K, zero rows i of A give ||Ã^(i)(t)||² <= e^{-t/K} ||Ã^(i)(0)||².",
       formula=r"\|\tilde A^{(i)}(t)\|^2 \le e^{-t/K}\,\|\tilde A^{(i)}(0)\|^2 \quad\text{for every zero row } A^{(i)}=0",
       scope="every d, r >= 1, every A with a zero row, every solution of the flow (1) on [0, t] with max_j||Ã_j||² + ε² <= K",
       dimensions=LINEAR_DIMS),
    _S("theorem5", "Implicit bias of gradient flow", "Theorem 5, Section 5, eq. (7)",
       "A: d x r, W = span of the rows of A; along the flow (1) with max_j ||Ã_j||² + ε² <= K: "
       "Σ_{k > dim W} σ_k²(Ã(t)) <= ||P_{W⊥} Ãᵀ(t)||_F² <= e^{-t/K} ||P_{W⊥} Ãᵀ(0)||_F².",
       formula=r"\sum_{k>\dim W}\sigma_k^2(\tilde A(t)) \le \|P_{W^\perp}\tilde A^{T}(t)\|_F^2 \le e^{-t/K}\,\|P_{W^\perp}\tilde A^{T}(0)\|_F^2",
       scope="every d, r >= 1, every A, every solution of the flow (1) on [0, t] with max_j||Ã_j||² + ε² <= K",
       dimensions=LINEAR_DIMS),
    _S("table1", "Linear VAEs find the support but not the density", "Section 6, Table 1 and the eigenvalue example",
       "Trained linear VAEs (latent dimension 20; A an r*xr* Gaussian matrix padded with zero rows to d) have "
       "the correct number r* of nonzero decoder rows in every setting; the number of zeros of the encoder "
       "variance is at least the number of nonzero rows; in no case does the learned density come close to "
       "the ground truth (normalized eigenvalue errors 0.30-0.71).",
       formula=r"\#\{i:\|\tilde A^{(i)}\|>0\} = r^{*},\qquad \frac{\|\hat\lambda-\lambda\|}{\|\lambda\|}\in[0.30,\,0.71]",
       scope="the seven (r*, d) settings of Table 1, latent dimension 20, three seeds each (an experiment)",
       dimensions=()),
    _S("table2", "Nonlinear VAEs on the sigmoid data: zeros of the encoder variance", "Section 6, Table 2 and Figure 1 (right)",
       "The VAE training consistently yields encoder variances with number of 0 entries greater than or equal to "
       "the intrinsic dimension (sigmoid dataset); the decoder variance goes to 0 and the padding error to 0; the data "
       "distribution recovered (column 6) has higher intrinsic dimension than the training data.",
       formula=r"\#\{i:\tilde D_{ii}<0.1\}\ \ge\ r^{*}",
       scope="the six (r*, ambient, latent) columns of Table 2, three seeds each (an experiment)"),
    _S("table3", "Nonlinear VAEs on the sphere data: zeros of the encoder variance", "Section 6, Table 3 and Figure 1 (left)",
       "The VAE training on the sphere dataset has consistently yielded encoder variances with number of 0 entries "
       "greater than the number of intrinsic dimension; the decoder variance and the padding error go to 0; for "
       "column 2 the generated data has one intrinsic dimension more than the training data and more than half "
       "of it falls inside the unit sphere.",
       formula=r"\#\{i:\tilde D_{ii}<0.1\}\ >\ r^{*}",
       scope="the five (r*, ambient, latent) columns of Table 3, three seeds each (an experiment)"),
    _S("table4", "Clipped decoder variance, sigmoid data", "Appendix D, Table 4 and Figures 4, 7",
       "With the decoder variance clipped below at e^-4, training on the sigmoid dataset yields encoder variances "
       "with number of 0 entries equal to the intrinsic dimension.",
       formula=r"\#\{i:\tilde D_{ii}<0.1\}\ =\ r^{*}\quad(\tilde\epsilon^2\ge e^{-4})",
       scope="the six columns of Table 4, three seeds each (an experiment)"),
    _S("table5", "Clipped decoder variance, sphere data", "Appendix D, Table 5 and Figures 4, 8",
       "With the decoder variance clipped below at e^-4, training on the sphere dataset consistently recovers one "
       "more dimension than the true intrinsic dimension.",
       formula=r"\#\{i:\tilde D_{ii}<0.1\}\ =\ r^{*}+1\quad(\tilde\epsilon^2\ge e^{-4})",
       scope="the five columns of Table 5, three seeds each (an experiment)"),
    _S("displays", "Every display of Sections 2-5 and the appendices is well typed", "Sections 2-5, Appendices A-C",
       "(implicit in every display) Each product and sum is well formed, each function is called with the "
       "arguments it was defined with, each index stays in its range, and each object is written the same way "
       "throughout.",
       formula=r"\text{shape}(XY) = (m, p) \;\text{ for }\; X\in\mathbb{R}^{m\times n},\ Y\in\mathbb{R}^{n\times p}",
       scope="every displayed formula of Sections 2-5 and Appendices A-C"),
    _S("lemma7", "The VAE loss from the Gaussian densities", "Lemma 7, Appendix A, eq. (3)",
       "-E_x E_{z~q(z|x)}[log p(x|z) + log p(z) - log q(z|x)] equals (3) up to an additive constant.",
       formula=r"-\mathbb{E}_x\,\mathbb{E}_{z\sim q(z|x)}\big[\log p(x|z)+\log p(z)-\log q(z|x)\big] = (3) + \text{const}",
       scope="every decoder f, encoder g, D > 0, ε > 0 and every d, r",
       dimensions=("d", "r")),
    _S("lemma8", "The linear VAE loss in closed form", "Lemma 8, Appendix A, eqs. (8)-(10) and (4)",
       "For the linear VAE, the loss (9)-(10) equals (8) = (4): (1/2ε²)||A - ÃB̃A||_F² + ½||B̃A||_F² + d log ε "
       "+ ½ Σ_i (D_ii ||Ã_i||²/ε² + D_ii - log D_ii).",
       formula=r"L = \frac{1}{2\tilde\epsilon^2}\|A-\tilde A\tilde BA\|_F^2+\frac12\|\tilde BA\|_F^2+d\log\tilde\epsilon+\frac12\sum_{i}\Big(\frac{\tilde D_{ii}\|\tilde A_i\|^2}{\tilde\epsilon^2}+\tilde D_{ii}-\log\tilde D_{ii}\Big)",
       scope="every d, r >= 1, every A, Ã, B̃, D > 0, ε > 0",
       dimensions=LINEAR_DIMS),
)


#: The library objects that implement a statement's result: a proof module that imports one of them
#: uses that statement (checked against the ``uses=`` declarations by tests/test_graph.py).
ESTABLISHES = {
    # Lemma 7: the VAE loss (3) from the Gaussian densities
    "lemma7": ("verify.numeric.monte_carlo_loss_3",),
    # Lemma 8: the linear VAE loss (4), numerically, symbolically and in index notation
    "lemma8": ("verify.numeric.loss_L", "verify.numeric.LObjective", "verify.numeric.objective", "verify.symbolic.linear_vae",
               "verify.symbolic._indexed_vae.indexed_linear_vae"),
    # Lemma 3: the optimal encoder variance and the simplified loss L1 (5)
    "lemma3": ("verify.numeric.loss_L1", "verify.numeric.L1Objective", "verify.numeric.optimal_D",
               "verify.numeric.objective"),
}

PAPER = Paper(
    key="koehler2022",
    title="Variational autoencoders in the presence of low-dimensional data: landscape and implicit bias",
    citation="F. Koehler, V. Mehta, C. Zhou, A. Risteski. Variational autoencoders in the presence of "
             "low-dimensional data: landscape and implicit bias. ICLR 2022 (arXiv:2112.06868).",
    package=__name__,
    sections=(
        ("Section 4", "VAE Landscape Analysis"),
        ("Section 5", "Implicit bias of gradient descent in Linear VAE"),
        ("Section 6", "Simulations"),
        ("Appendix A", "Derivations of VAE losses"),
    ),
    statements=STATEMENTS,
    main=True,
    establishes=ESTABLISHES,
)
