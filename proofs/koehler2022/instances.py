"""Test instances shared by several statement modules (neutral: no statement's proof lives here).

A statement module that draws its instances from another statement's module would appear to *use*
that statement in the paper's dependency graph (:mod:`verify.graph`), although only plumbing is
shared.  The generators live here instead, so the graph shows mathematics:

- :func:`sufficient_pairs`: (A, Ã, B̃) with A = ÃB̃A and more than r - d zero columns of Ã (the
  hypothesis of Theorem 3's sufficiency direction);
- :func:`minus_infinity_sequences`: sequences (Ã_t, B̃_t, D̃_t, ε̃_t) along which the loss (4) goes
  to -inf (the hypothesis of Lemma 1 and of Theorem 3's necessity direction).

Theorem 3's module keeps its own copy of these generators for now (it is edited elsewhere); it can
import them from here with one line.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from verify.numeric import loss_L, optimal_D
from verify.strategies import data_matrices, describe_array, matrices

__all__ = ["MAX_DIM", "Pair", "sufficient_pairs", "Sequence", "minus_infinity_sequences"]

MAX_DIM = 8


class Pair:
    """(A, Ã, B̃) with A = ÃB̃A; ``zero`` marks the zero columns of Ã."""

    def __init__(self, A, At, Bt):
        self.A, self.At, self.Bt = A, At, Bt
        self.zero = np.all(At == 0, axis=0)

    d = property(lambda self: self.A.shape[0])
    r = property(lambda self: self.At.shape[1])
    k = property(lambda self: int(self.zero.sum()))

    def __repr__(self):
        return (f"d={self.d}, r={self.r}, r*={self.A.shape[1]}, k={self.k} zero columns, A={describe_array(self.A)}, "
                f"Ã={describe_array(self.At)}, B̃={describe_array(self.Bt)}")


def _unit_columns(draw, d, n):
    """n columns of norm in [1/2, 2], none zero: first entry >= 1/2 before normalising."""
    w = draw(matrices((d, n), 1.0))
    w[0] = np.where(w[0] >= 0, np.maximum(w[0], 0.5), np.minimum(w[0], -0.5))
    size = draw(arrays(np.float64, n, elements=st.floats(0.5, 2.0)))
    return w / np.linalg.norm(w, axis=0) * size


@st.composite
def sufficient_pairs(draw, max_d: int = MAX_DIM, max_r: int = MAX_DIM, min_zero_excess: int = 1):
    """A = ÃB̃A and #zero columns >= r - d + min_zero_excess (Theorem 3: min_zero_excess = 1).

    Ã's nonzero columns are A·C (C upper triangular, invertible: they span col A) and extra columns
    of norm >= 1/2; B̃ = Ã⁺ + (rows on the zero columns) + N(I - P_A), all of which keep A = ÃB̃A.
    """
    d = draw(st.integers(2, max_d))
    r_star = draw(st.integers(1, d - 1))
    m = draw(st.integers(r_star, d - min_zero_excess))  # nonzero columns: m <= d - min_zero_excess
    r = draw(st.integers(m, max(m, max_r)))
    A = draw(data_matrices(d, r_star))
    C = np.triu(draw(matrices((r_star, r_star), 1.0)), 1) + np.diag(draw(arrays(np.float64, r_star, elements=st.floats(0.5, 2.0))))
    cols = np.hstack([A @ C, _unit_columns(draw, d, m - r_star)])
    cols = cols / np.linalg.norm(cols, axis=0) * np.clip(np.linalg.norm(cols, axis=0), 0.5, 4.0)
    where = draw(st.permutations(range(r)))[:m]
    At = np.zeros((d, r))
    At[:, sorted(where)] = cols
    Q, _ = np.linalg.qr(A)
    Bt = np.linalg.pinv(At)
    Bt[np.all(At == 0, axis=0)] = draw(matrices((r - m, d), 1.0))
    Bt = Bt + draw(matrices((r, d), 1.0)) @ (np.eye(d) - Q @ Q.T)
    return Pair(A, At, Bt)


class Sequence:
    """A sequence (Ã_t, B̃_t, D̃_t, ε̃_t), t = 1..T, along which L (4) -> -inf."""

    def __init__(self, pair: Pair, P, Q, alpha, factors, T=16):
        self.pair, self.alpha, self.T = pair, alpha, T
        self.eps = 10.0 ** (-np.arange(1, T + 1) / 2)
        self.At = [pair.At + e**alpha * P for e in self.eps]
        self.Bt = [pair.Bt + e**alpha * Q for e in self.eps]
        self.D = [factors * optimal_D(a, e) for a, e in zip(self.At, self.eps)]
        self.L = np.array([loss_L(pair.A, a, b, D, e) for a, b, D, e in zip(self.At, self.Bt, self.D, self.eps)])

    def __repr__(self):
        return f"{self.pair!r}; perturbation ε_t^{self.alpha:.4g}·(P, Q); ε_t = 10^(-t/2), t = 1..{self.T}"


@st.composite
def minus_infinity_sequences(draw, max_dim: int = 6):
    """A :class:`Sequence` from a :func:`sufficient_pairs` point, perturbed by ε_t^α (P, Q), α in [1.5, 3]."""
    pair = draw(sufficient_pairs(max_dim, max_dim))
    P = draw(matrices((pair.d, pair.r), 1.0))
    Q = draw(matrices((pair.r, pair.d), 1.0))
    alpha = draw(st.floats(1.5, 3.0))
    factors = draw(arrays(np.float64, pair.r, elements=st.floats(0.5, 2.0)))
    return Sequence(pair, P, Q, alpha, factors)


def random_point(rng: np.random.Generator, d: int, r: int, r_star: int, d_min: float = 0.1) -> tuple:
    """(A, Ã, B̃, D̃, ε̃): a random point of the loss (4) at shape (d, r, r*), drawn in this order
    (A Gaussian; Ã, B̃ Gaussian scaled by 1/sqrt(fan-in); D̃ uniform in [d_min, 1.5]; ε̃ in [0.3, 2])."""
    A = rng.standard_normal((d, r_star))
    At = rng.standard_normal((d, r)) / np.sqrt(r)
    Bt = rng.standard_normal((r, d)) / np.sqrt(d)
    D = rng.uniform(d_min, 1.5, size=r)
    eps = float(rng.uniform(0.3, 2.0))
    return A, At, Bt, D, eps
