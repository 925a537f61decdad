"""NumPy layer: the linear VAE losses (eqs. 4, 5), the optimal D (Lemma 3), Monte-Carlo of (9)."""
from ._losses import LinearProblem, loss_L, loss_L1, monte_carlo_loss, optimal_D, reconstruction_error

__all__ = ["LinearProblem", "loss_L", "loss_L1", "monte_carlo_loss", "optimal_D", "reconstruction_error"]
