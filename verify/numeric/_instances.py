"""Random instances of the linear problem: data matrices of exact rank r* in general position,
and initialisations.  Seeded with a NumPy Generator so every run is reproducible."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import VerifyError
from ._objective import objective

__all__ = ["random_orthogonal", "low_rank_data", "zero_rows", "Instance", "random_instance"]


def random_orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random orthogonal n x n matrix (QR of a Gaussian matrix with the sign fix)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def low_rank_data(d: int, r_star: int, rank: int, rng: np.random.Generator, rotate: bool = True) -> np.ndarray:
    """A (d x r*) of exact rank ``rank``: a Gaussian (rank x r*) block on top of zero rows, turned
    by a random orthogonal U when ``rotate`` (so no row of A is zero: general position)."""
    for name, v in (("d", d), ("r_star", r_star), ("rank", rank)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise VerifyError(name, v, "must be a positive integer")
    if rank > min(d, r_star):
        raise VerifyError("rank", rank, f"must be at most min(d, r*) = {min(d, r_star)}")
    top = rng.standard_normal((rank, rank)) @ rng.standard_normal((rank, r_star)) / np.sqrt(rank)
    A = np.vstack([top, np.zeros((d - rank, r_star))])
    return random_orthogonal(d, rng) @ A if rotate else A


def zero_rows(A) -> np.ndarray:
    """Indices of the rows of A that are exactly zero (the rows Lemmas 5 and 6 are about)."""
    return np.nonzero(np.all(np.asarray(A) == 0, axis=1))[0]


@dataclass(frozen=True)
class Instance:
    A: np.ndarray
    r: int
    x0: np.ndarray  # packed initial parameters for L1
    seed: int

    @property
    def d(self) -> int:
        return self.A.shape[0]


def random_instance(d: int, r: int, r_star: int, seed: int, rank: int | None = None, rotate: bool = True,
                    scale: float = 0.5, eps0: float = 1.0) -> Instance:
    """A rank-deficient A (rank defaults to r* when r* < d, else d - 1) and a random start for L1."""
    rng = np.random.default_rng(seed)
    if rank is None:
        rank = min(r_star, d - 1) if d > 1 else 1
    A = low_rank_data(d, r_star, rank, rng, rotate)
    obj = objective("L1", A, r)
    x0 = obj.pack(scale * rng.standard_normal((d, r)), scale * rng.standard_normal((r, d)), eps0)
    return Instance(A, r, x0, seed)
