"""SymPy layer: Gaussian expectations, the Gaussian log-densities and the linear VAE losses."""
from ._expectation import GaussianExpectation, expect, quadrature_value, standard_moment
from ._lambdify import checked_lambdify
from ._vae import EPS, LinearVAE, column_norm_sq, frobenius_sq, gaussian_log_density, linear_vae

__all__ = [
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
