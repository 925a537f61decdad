"""Hypothesis strategies for random instances of the linear VAE, and the settings profiles.

Everything Hypothesis draws is built from bounded pieces (DESIGN habit 9), so no example is thrown
away by ``assume`` and shrinking moves towards the simplest instance:

* :func:`dimensions`: (d, r, r*) with r* < d (rank-deficient data) and r on both sides of d;
* :func:`data_matrices`: A (d x r*) of *exact* rank r*: an upper-triangular r* x r* block with
  diagonal entries of size in [1/2, 2] on top of d - r* zero rows, then, unless the example
  shrinks to "not rotated", turned by a Haar-random orthogonal U (so no row of A is zero);
* :func:`linear_points`: a point (A, Ã, B̃, D̃, ε̃) of the loss (4);
* :func:`initialisations`: a start (Ã(0), B̃(0), ε̃(0)) of the flow (1) for L1;
* :func:`flow_starts`: data and a start together, for properties of whole trajectories.

Settings profiles live here, in one place: ``ci`` (fast and derandomized: the default),
``dev`` and ``thorough``, chosen by the environment variable ``HYPOTHESIS_PROFILE`` (or by
``vae-verify report --profile``).  The test suite loads the same profiles.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ._errors import VerifyError
from .numeric import LinearProblem, objective, random_orthogonal

__all__ = [
    "PROFILES",
    "active_profile",
    "profile_settings",
    "Dims",
    "LinearPoint",
    "dimensions",
    "data_matrices",
    "matrices",
    "linear_points",
    "initialisations",
    "FlowStart",
    "flow_starts",
    "describe_array",
]

#: name -> (max_examples, derandomize).  ``ci`` must keep the suite and the report at a few minutes
#: on 2 cores; ``thorough`` is for a sweep before a release.
PROFILES = {
    "ci": dict(max_examples=25, derandomize=True),
    "dev": dict(max_examples=60, derandomize=False),
    "thorough": dict(max_examples=1000, derandomize=False),
}
for _name, _kw in PROFILES.items():
    settings.register_profile(_name, deadline=None, suppress_health_check=[HealthCheck.too_slow], **_kw)


def active_profile() -> str:
    """The profile named by HYPOTHESIS_PROFILE (default ``ci``); an unknown name is an error."""
    name = os.environ.get("HYPOTHESIS_PROFILE") or "ci"  # empty means unset
    if name not in PROFILES:
        raise VerifyError("HYPOTHESIS_PROFILE", name, f"unknown profile; choose one of {sorted(PROFILES)}")
    return name


def profile_settings(name: Optional[str] = None, **overrides) -> settings:
    """The settings of profile ``name`` (default: the active one), with no example database."""
    name = name or active_profile()
    if name not in PROFILES:
        raise VerifyError("profile", name, f"unknown profile; choose one of {sorted(PROFILES)}")
    return settings(settings.get_profile(name), database=None, **overrides)


def _floats(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def matrices(shape, bound: float = 2.0):
    """Arrays of the given shape with entries in [-bound, bound]."""
    return arrays(np.float64, shape, elements=_floats(-bound, bound))


@dataclass(frozen=True)
class Dims:
    d: int
    r: int
    r_star: int

    def __str__(self) -> str:
        return f"d={self.d}, r={self.r}, r*={self.r_star}"


@st.composite
def dimensions(draw, max_d: int = 6, max_r: int = 6, min_d: int = 2, deficient: bool = True,
               min_r: int = 1) -> Dims:
    """(d, r, r*) with 1 <= r* < d when ``deficient`` (else r* <= d), and min_r <= r <= max_r."""
    d = draw(st.integers(min_d, max_d))
    r_star = draw(st.integers(1, d - 1 if deficient else d))
    r = draw(st.integers(min_r, max_r))
    return Dims(d, r, r_star)


@st.composite
def data_matrices(draw, d: int, r_star: int, rotated: Optional[bool] = None, rank: Optional[int] = None) -> np.ndarray:
    """A (d x r*) of exact rank ``rank`` (default r*): an upper-trapezoidal rank x r* block with
    diagonal entries of size in [1/2, 2] on top of zero rows, unless rotated by a random orthogonal U."""
    rank = r_star if rank is None else rank
    if not 1 <= r_star <= d:
        raise VerifyError("r_star", r_star, f"must be in [1, d={d}]")
    if not 1 <= rank <= r_star:
        raise VerifyError("rank", rank, f"must be in [1, r*={r_star}]")
    size = draw(arrays(np.float64, rank, elements=_floats(0.5, 2.0)))
    sign = draw(arrays(np.float64, rank, elements=st.sampled_from([1.0, -1.0])))
    upper = np.triu(draw(matrices((rank, r_star), 1.0)), 1)
    upper[np.arange(rank), np.arange(rank)] = size * sign
    A = np.vstack([upper, np.zeros((d - rank, r_star))])
    if rotated is None:
        rotated = draw(st.booleans())
    if rotated:
        seed = draw(st.integers(0, 2**32 - 1))
        A = random_orthogonal(d, np.random.default_rng(seed)) @ A
    return A


@dataclass(frozen=True)
class LinearPoint(LinearProblem):
    """A point of the loss (4): data A and parameters (Ã, B̃, diag D̃, ε̃)."""

    D: np.ndarray
    eps: float

    def __repr__(self) -> str:
        return (f"d={self.d}, r={self.r}, r*={self.A.shape[1]}, ε={self.eps:.6g}, A={describe_array(self.A)}, "
                f"Ã={describe_array(self.At)}, B̃={describe_array(self.Bt)}, D={describe_array(self.D)}")


@st.composite
def linear_points(draw, max_d: int = 6, max_r: int = 6, rotated: Optional[bool] = None, bound: float = 2.0,
                  eps_range: tuple = (0.05, 3.0), D_range: tuple = (0.01, 2.0), min_d: int = 2) -> LinearPoint:
    """A random point (A, Ã, B̃, D̃, ε̃) with rank-deficient A (see :func:`data_matrices`)."""
    dims = draw(dimensions(max_d=max_d, max_r=max_r, min_d=min_d))
    A = draw(data_matrices(dims.d, dims.r_star, rotated))
    At = draw(matrices((dims.d, dims.r), bound))
    Bt = draw(matrices((dims.r, dims.d), bound))
    D = draw(arrays(np.float64, dims.r, elements=_floats(*D_range)))
    eps = draw(_floats(*eps_range))
    return LinearPoint(A, At, Bt, D, eps)


@st.composite
def initialisations(draw, A: np.ndarray, r: int, scale: float = 1.0, eps_range: tuple = (0.3, 1.5)) -> np.ndarray:
    """A packed start (Ã(0), B̃(0), ε̃(0)) for the flow (1) of L1 on data A."""
    d = A.shape[0]
    At = draw(matrices((d, r), scale))
    Bt = draw(matrices((r, d), scale))
    eps = draw(_floats(*eps_range))
    return objective("L1", A, r).pack(At, Bt, eps)


def describe_array(a) -> str:
    """A compact, exact-enough printout of a small array for a counterexample."""
    a = np.asarray(a, dtype=float)
    return np.array2string(a, precision=4, suppress_small=True, separator=", ", max_line_width=10_000).replace("\n", "")


@dataclass(frozen=True)
class FlowStart:
    """Data A and a packed start x0 of the flow (1) for L1 (latent dimension r)."""

    A: np.ndarray
    r: int
    x0: np.ndarray

    @property
    def d(self) -> int:
        return self.A.shape[0]

    def __repr__(self) -> str:
        d, r = self.d, self.r
        return (f"d={d}, r={r}, r*={self.A.shape[1]}, A={describe_array(self.A)}, Ã(0)={describe_array(self.x0[:d * r].reshape(d, r))}, "
                f"B̃(0)={describe_array(self.x0[d * r:2 * d * r].reshape(r, d))}, ε(0)={self.x0[-1]:.6g}")


@st.composite
def flow_starts(draw, max_d: int = 4, max_r: int = 4, rotated: Optional[bool] = None, same_r: bool = False,
                scale: float = 1.0, rank_deficient: bool = False) -> FlowStart:
    """Rank-deficient A (:func:`data_matrices`) and a start for L1.  ``same_r``: r = r*;
    ``rank_deficient``: rank A < r* as well (so the rows of A span a proper subspace of R^r*)."""
    dims = draw(dimensions(max_d=max_d, max_r=max_r, min_d=3 if rank_deficient else 2))
    r_star = max(dims.r_star, 2) if rank_deficient else dims.r_star
    rank = draw(st.integers(1, r_star - 1)) if rank_deficient else None
    r = r_star if same_r else dims.r
    A = draw(data_matrices(dims.d, r_star, rotated, rank))
    return FlowStart(A, r, draw(initialisations(A, r, scale)))
