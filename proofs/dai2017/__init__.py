"""Dai, Wang, Aston, Hua, Wipf (2017): "Hidden Talents of the Variational Autoencoder"
(arXiv:1706.05148), checked for the linear/affine VAE and a robust-PCA experiment.

Setting.  Data x with full-rank covariance Σ (d x d), written x = Az with AAᵀ = Σ (the main paper's
(4) is the expected negative ELBO of the linear VAE for such data: decoder p(x|z) = N(Ãz, ε²I),
encoder q(z|x) = N(B̃x, diag D̃), q latent dimensions).  Probabilistic PCA (Tipping & Bishop 1999)
is the model x ~ N(0, WWᵀ + σ²I); its maximum-likelihood solution is

    W = U_q (Λ_q - σ²I)^{1/2} R,   σ² = (1/(d - q)) Σ_{j>q} λ_j,

with Σ = U Λ Uᵀ (eigenvalues λ_1 >= ... >= λ_d), U_q the top q eigenvectors and R any q x q
rotation; the posterior of z given x is N(M⁻¹Wᵀx, σ²M⁻¹), M = WᵀW + σ²I.

Statements (paraphrases of the abstract's claims made precise; the precise forms are Tipping &
Bishop's for PPCA and Lucas et al. 2019 ("Don't blame the ELBO!") for the role of the diagonal
encoder covariance):

* ``ppca_optimum``: the global minimum of (4) over (Ã, B̃, D̃, ε) is attained at Ã = W (with R making
  WᵀW diagonal), ε² = σ², B̃ = M⁻¹Wᵀ, D̃ = σ²M⁻¹, and its value is the PPCA negative log-likelihood
  (minus the constant d/2 log 2π - q/2).
* ``ppca_encoder``: at the optimum the encoder is the PPCA posterior (mean map M⁻¹Ãᵀ, covariance
  σ²M⁻¹); the diagonal encoder covariance selects the rotation: every optimum has ÃᵀÃ diagonal.
* ``robust_outliers``: with sparse gross outliers, a VAE with a learned per-sample, per-coordinate
  decoder variance (the model of the paper's robust-PCA argument; stated exactly in that module)
  recovers the q-dimensional subspace that PCA misses.

Claims of the paper NOT checked here (also in :data:`NOT_CHECKED`).
"""
from __future__ import annotations

from verify import Paper, Statement

__all__ = ["PAPER", "STATEMENTS", "NOT_CHECKED"]

DIMS = ("d", "q")

STATEMENTS = (
    Statement(
        "ppca_optimum", "The linear VAE's global optimum is probabilistic PCA",
        "Affine decoder: the VAE and probabilistic PCA",
        "Paraphrase of the abstract's claim (the affine VAE's optima are PPCA's) made precise with Tipping & Bishop "
        "(1999): for data covariance Σ = UΛUᵀ of full rank, the loss (4) of the linear VAE with q latent dimensions "
        "has global minimum at Ã = U_q(Λ_q - σ²I)^{1/2}R (R a rotation with ÃᵀÃ diagonal), ε² = σ² = mean of the "
        "d - q discarded eigenvalues, B̃ = M⁻¹Ãᵀ, D̃ = σ²M⁻¹ (M = ÃᵀÃ + σ²I), and min (4) = ½[Σ_{j<=q} log λ_j + "
        "(d - q) log σ² + d + q] (the PPCA negative log-likelihood minus d/2 log 2π - q/2).",
        formula=r"\min L = \tfrac12\Big[\sum_{j\le q}\log\lambda_j + (d-q)\log\sigma^2 + d + q\Big],\quad "
                r"\tilde A = U_q(\Lambda_q-\sigma^2 I)^{1/2}R,\ \tilde\epsilon^2=\sigma^2=\frac{1}{d-q}\sum_{j>q}\lambda_j",
        scope="every d > q >= 1 and every full-rank data covariance Σ with λ_q > λ_{q+1}",
        dimensions=DIMS),
    Statement(
        "ppca_encoder", "The optimal encoder is the PPCA posterior; the diagonal covariance picks the rotation",
        "Affine decoder: the VAE and probabilistic PCA",
        "At the optimum of (4) the encoder mean map is the PPCA posterior mean M⁻¹Ãᵀ and D̃ is the posterior "
        "covariance σ²M⁻¹; because D̃ is diagonal, every optimum has ÃᵀÃ diagonal (Lucas et al. 2019: the "
        "rotation R is no longer free; with a full encoder covariance every R would do).",
        formula=r"\tilde B = M^{-1}\tilde A^{T},\quad \tilde D = \sigma^2 M^{-1},\quad M=\tilde A^{T}\tilde A+\sigma^2 I"
                r"\ \text{diagonal}",
        scope="every d > q >= 1, every full-rank Σ with distinct top q + 1 eigenvalues",
        dimensions=DIMS),
    Statement(
        "robust_outliers", "Robustness to sparse gross outliers", "Robust PCA: the VAE dismisses outliers",
        "Paraphrase of the abstract's claim (the VAE behaves like robust PCA and can dismiss gross corruptions) "
        "made precise for data on a q-dimensional subspace with a few entries corrupted by large outliers: the VAE "
        "with affine decoder mean and learned per-sample, per-coordinate decoder variances recovers the subspace "
        "(small principal angle), while PCA's top-q subspace does not.",
        formula=r"\angle(\widehat{\mathcal U}_{VAE}, \mathcal U) \ll \angle(\widehat{\mathcal U}_{PCA}, \mathcal U)",
        scope="data on a q-dimensional subspace plus sparse gross outliers",
        dimensions=()),
)

#: Claims of the paper the tool does not check yet, with the reason.
NOT_CHECKED = (
    ("Nonlinear decoders: the VAE learns a manifold of unknown dimension and switches off the unneeded latent "
     "dimensions",
     "needs the VAE energy for nonlinear encoder/decoder networks; only the affine decoder is checked"),
    ("The VAE objective smooths away bad local minima that its deterministic counterpart (an autoencoder or robust "
     "PCA energy) has", "a landscape claim about non-convex energies with no closed form; not searched yet"),
    ("The experiments with deep networks (corrupted MNIST-type data, manifold recovery)",
     "neural-network training is not reproduced"),
    ("The robust-PCA energy reduction for a decoder variance produced by a network of z (Σ_x(z))",
     "checked only with free per-sample, per-coordinate variances (the most flexible instance), with a floor"),
)

PAPER = Paper(
    key="dai2017",
    title="Hidden Talents of the Variational Autoencoder",
    citation="B. Dai, Y. Wang, J. Aston, G. Hua, D. Wipf. Hidden Talents of the Variational Autoencoder. "
             "arXiv:1706.05148 (2017).",
    package=__name__,
    sections=(  # section numbers are not taken from the text: statements are grouped by topic
        ("Affine decoder", "The VAE and probabilistic PCA"),
        ("Robust PCA", "The VAE dismisses outliers"),
    ),
    statements=STATEMENTS,
)
PAPER.NOT_CHECKED = NOT_CHECKED
