"""Random instances of the linear problem: data matrices of exact rank r* in general position,
and initialisations.  Seeded with a NumPy Generator so every run is reproducible."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import VerifyError
from ..validate import check_bool, check_finite_real, check_nonnegative_int, check_positive_int, check_rng
from ._objective import objective
from ._validate import as_eps, as_matrix

__all__ = ["random_orthogonal", "low_rank_data", "zero_rows", "Instance", "random_instance"]

R_STAR_WHY = "d: the data x = Az span at most d dimensions of R^d"


def random_orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random orthogonal n x n matrix (QR of a Gaussian matrix with the sign fix)."""
    n = check_positive_int("n", n)
    rng = check_rng("rng", rng)
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def low_rank_data(d: int, r_star: int, rank: int, rng: np.random.Generator, rotate: bool = True) -> np.ndarray:
    """A (d x r*) of exact rank ``rank``: a Gaussian (rank x r*) block on top of zero rows, turned
    by a random orthogonal U when ``rotate`` (so no row of A is zero: general position).

    The data x = Az lie in R^d and z ~ N(0, I_r*) is the ground truth's latent code of dimension
    r* <= d (Section 2 of the paper: data on an r*-dimensional subspace of R^d), so r* > d is refused.
    """
    d = check_positive_int("d", d)
    r_star = check_positive_int("r_star", r_star, maximum=d, why=R_STAR_WHY)
    rank = check_positive_int("rank", rank, maximum=r_star, why="r*")
    rng = check_rng("rng", rng)
    rotate = check_bool("rotate", rotate)
    top = rng.standard_normal((rank, rank)) @ rng.standard_normal((rank, r_star)) / np.sqrt(rank)
    A = np.vstack([top, np.zeros((d - rank, r_star))])
    return random_orthogonal(d, rng) @ A if rotate else A


def zero_rows(A) -> np.ndarray:
    """Indices of the rows of A that are exactly zero (the rows Lemmas 5 and 6 are about)."""
    return np.nonzero(np.all(as_matrix("A", A) == 0, axis=1))[0]


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
    """A rank-deficient A (rank defaults to r* when r* < d, else d - 1) and a random start for L1
    (Ã(0), B̃(0) with N(0, scale²) entries, ε(0) = eps0).  Needs 1 <= r* <= d (see :func:`low_rank_data`)."""
    d = check_positive_int("d", d)
    r = check_positive_int("r", r)
    r_star = check_positive_int("r_star", r_star, maximum=d, why=R_STAR_WHY)
    seed = check_nonnegative_int("seed", seed)
    if rank is None:
        rank = min(r_star, d - 1) if d > 1 else 1
    rank = check_positive_int("rank", rank, maximum=r_star, why="r*")
    scale = check_finite_real("scale", scale)
    if scale < 0:
        raise VerifyError("scale", scale, "must be >= 0")
    eps0 = as_eps("eps0", eps0)
    rng = np.random.default_rng(seed)
    A = low_rank_data(d, r_star, rank, rng, rotate)
    obj = objective("L1", A, r)
    x0 = obj.pack(scale * rng.standard_normal((d, r)), scale * rng.standard_normal((r, d)), eps0)
    return Instance(A, r, x0, seed)
