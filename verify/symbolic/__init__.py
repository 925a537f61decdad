"""SymPy layer: Gaussian expectations, the Gaussian log-densities and the linear VAE losses."""
from ._indexed import (DIM_D, DIM_R, DIM_RSTAR, ISum, agreement_check, entry, evaluate, gaussian_second_moments,
                       isum, normal_form, positive_entry)
from ._indexed_vae import IDX, IndexedLinearVAE, indexed_linear_vae
from ._expectation import GaussianExpectation, expect, quadrature_value, standard_moment
from ._lambdify import checked_lambdify
from ._vae import EPS, LinearVAE, column_norm_sq, frobenius_sq, gaussian_log_density, linear_vae

__all__ = [
    "DIM_D",
    "DIM_R",
    "DIM_RSTAR",
    "IDX",
    "ISum",
    "IndexedLinearVAE",
    "agreement_check",
    "entry",
    "evaluate",
    "gaussian_second_moments",
    "indexed_linear_vae",
    "isum",
    "normal_form",
    "positive_entry",
    "EPS",
    "checked_lambdify",
    "GaussianExpectation",
    "LinearVAE",
    "column_norm_sq",
    "expect",
    "frobenius_sq",
    "gaussian_log_density",
    "linear_vae",
    "quadrature_value",
    "standard_moment",
]
