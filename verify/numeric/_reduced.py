"""The gradient flow of L1 (eq. 5) in reduced coordinates: the same trajectory, fewer unknowns,
and a residual that keeps its digits as ε -> 0.

Why the reduction is exact (Lemma 4 and the form of eq. 5):

* L1 depends on A only through AAᵀ, and is invariant under (Ã, B̃, A) -> (UᵀÃ, B̃U, UᵀA) for
  orthogonal U (Lemma 4).  With the SVD A = U diag(s) Vᵀ of rank k, the flow from (Ã, B̃) is U
  times the flow from (Â, B̂) = (UᵀÃ, B̃U) for the data A' = [diag(s); 0] (d x k).
* Split Â = [Â1; Â2] (k and d-k rows) and B̂ = [B̂1, B̂2] (k and d-k columns).  B̂2 multiplies the
  zero rows of A', so L1 does not depend on it: B̂2 is constant along the flow.
* dÂ2/dt = -Â2 N with N = MMᵀ/ε² + diag(1/(||Â_j||² + ε²)), M = B̂1 diag(s): the flow only mixes
  the columns of Â2, so Â2(t) = Q0 R(t), with Q0 the orthonormal factor of Â2(0) (fixed) and R
  (p x r, p = min(d-k, r)) solving dR/dt = -R N.  The off-subspace mass is ||P_W⊥ Ã||² = ||R||².
* Near a minimiser the residual E = I_k - Â1B̂1 is O(ε²); computed as a difference of O(1)
  numbers it would keep only 16 - 2|log10 ε| digits.  The state therefore carries Ê = E/ε², with
  dÊ/dt = (dE/dt)/ε² - 2Ê d(log ε)/dt and dE/dt = -(Â1'B̂1 + Â1B̂1'), so the fit term
  ||A' - ÂB̂A'||² = ε⁴||Ê diag(s)||² + ||R M||² keeps its relative precision at any ε.

State z = (vec Â1, vec B̂1, vec Ê, vec R, u = log ε); with ``carry_residual=False`` Ê is left
out and computed from Â1, B̂1 (fewer steps for the explicit solvers, enough digits for ε >= 1e-6).  Both dynamics of :mod:`._flow` are here:
"eps" (the paper's flow (1), u' = -(1/ε)∂L1/∂ε) and "log_eps" (u' = -ε ∂L1/∂ε).  Every function
takes a batch of states (shape (n,) or (n, m)) so that scipy can difference the field in one call.
"""
from __future__ import annotations

import numpy as np

from .. import tolerances as tol

__all__ = ["ReducedL1"]


class ReducedL1:
    """The flow of L1 for data A from the packed start x0 (see :meth:`Objective.pack`) in reduced coordinates."""

    def __init__(self, A: np.ndarray, r: int, x0: np.ndarray, carry_residual: bool = True):
        A = np.asarray(A, dtype=float)
        d = A.shape[0]
        U, s, _ = np.linalg.svd(A, full_matrices=True)
        k = int(np.sum(s > tol.RANK_RTOL * s[0])) if s.size and s[0] > 0 else 0
        self.d, self.r, self.k, self.U, self.s = d, r, k, U, s[:k].copy()
        At = x0[: d * r].reshape(d, r)
        Bt = x0[d * r : 2 * d * r].reshape(r, d)
        Ah = U.T @ At
        Bh = Bt @ U
        self.B2 = Bh[:, k:].copy()  # frozen: L1 does not depend on it
        self._eye_k = np.eye(k)
        self._b2_max = float(np.max(np.abs(self.B2), initial=0.0))
        if d > k:
            self.Q0, R0 = np.linalg.qr(Ah[k:], mode="reduced")
        else:
            self.Q0, R0 = np.zeros((0, 0)), np.zeros((0, r))
        self.p = R0.shape[0]
        eps0 = float(x0[-1])
        A1, B1 = Ah[:k], Bh[:, :k]
        self.carry_residual = carry_residual
        Ehat = (np.eye(k) - A1 @ B1) / eps0**2 if carry_residual else np.zeros((0, 0))
        self.z0 = np.concatenate([A1.ravel(), B1.ravel(), Ehat.ravel(), R0.ravel(), [np.log(eps0)]])
        kr, kk, pr = k * r, Ehat.size, self.p * r
        self.slices = (slice(0, kr), slice(kr, 2 * kr), slice(2 * kr, 2 * kr + kk),
                       slice(2 * kr + kk, 2 * kr + kk + pr))
        self.size = self.z0.size

    # ---- unpacking (batched: z is (size,) or (size, m)) -----------------------------------------
    def _parts(self, z):
        z = np.asarray(z)
        z = z if np.iscomplexobj(z) else z.astype(float)  # complex states: the complex-step Jacobian
        m = z.shape[1] if z.ndim == 2 else None
        Z = z.T.reshape(-1, self.size)  # (m, size)
        k, r, p = self.k, self.r, self.p
        sa, sb, se, sr = self.slices
        nb = Z.shape[0]
        A1 = Z[:, sa].reshape(nb, k, r)
        B1 = Z[:, sb].reshape(nb, r, k)
        R = Z[:, sr].reshape(nb, p, r)
        u = Z[:, -1]
        if self.carry_residual:
            Eh = Z[:, se].reshape(nb, k, k)
        else:  # the residual from Â1, B̂1 (keeps 16 - 2|log10 ε| digits)
            Eh = (np.eye(k) - A1 @ B1) / np.exp(2 * u)[:, None, None]
        return m, A1, B1, Eh, R, u

    def _terms(self, A1, B1, Eh, R, u):
        s = self.s
        eps2 = np.exp(2 * u)
        M = B1 * s  # (m, r, k): B̂1 diag(s)
        cc = np.sum(A1**2, axis=1) + np.sum(R**2, axis=1) + eps2[:, None]  # (m, r)
        RM = R @ M  # (m, p, k)
        ES = Eh * s  # Ê diag(s)
        f = eps2**2 * np.sum(ES**2, axis=(1, 2)) + np.sum(RM**2, axis=(1, 2))
        return eps2, M, cc, RM, ES, f

    def rates(self, z, parameterization: str):
        """dz/dt (real time t) of the chosen dynamics, for a batch of states."""
        m, A1, B1, Eh, R, u = self._parts(z)
        eps2, M, cc, RM, ES, f = self._terms(A1, B1, Eh, R, u)
        s2 = self.s**2
        MT = np.swapaxes(M, 1, 2)
        dA1 = ES @ MT - A1 / cc[:, None, :]  # -∇_Â1 L1
        dR = -(RM @ MT) / eps2[:, None, None] - R / cc[:, None, :]  # -∇_R L1 = -R N
        RtRM = np.swapaxes(R, 1, 2) @ RM  # (m, r, k)
        dB1 = (np.swapaxes(A1, 1, 2) @ Eh) * s2 - (RtRM * self.s) / eps2[:, None, None] - B1 * s2
        geps_eps = -f / eps2 + (self.d - self.r) + np.sum(eps2[:, None] / cc, axis=1)  # ε ∂L1/∂ε
        du = -geps_eps / eps2 if parameterization == "eps" else -geps_eps
        n = A1.shape[0]
        if self.carry_residual:
            dE = -(dA1 @ B1 + A1 @ dB1)
            dEh = dE / eps2[:, None, None] - 2 * Eh * du[:, None, None]
        else:
            dEh = np.zeros((n, 0))
        out = np.concatenate([dA1.reshape(n, -1), dB1.reshape(n, -1), dEh.reshape(n, -1), dR.reshape(n, -1),
                              du[:, None]], axis=1)
        return out[0] if m is None else out.T

    def rate(self, z: np.ndarray, parameterization: str) -> np.ndarray:
        """dz/dt for one state (shape (size,)): the same numbers as :meth:`rates`, fewer NumPy calls."""
        k, r, p, s = self.k, self.r, self.p, self.s
        sa, sb, se, sr = self.slices
        A1 = z[sa].reshape(k, r)
        B1 = z[sb].reshape(r, k)
        R = z[sr].reshape(p, r)
        eps2 = np.exp(2 * z[-1])
        Eh = z[se].reshape(k, k) if self.carry_residual else (self._eye_k - A1 @ B1) / eps2
        M = B1 * s
        inv = 1.0 / ((A1 * A1).sum(axis=0) + (R * R).sum(axis=0) + eps2)
        RM = R @ M
        ES = Eh * s
        f = eps2 * eps2 * np.vdot(ES, ES) + np.vdot(RM, RM)
        out = np.empty_like(z)
        dA1 = ES @ M.T - A1 * inv
        out[sa] = dA1.ravel()
        out[sr] = (-(RM @ M.T) / eps2 - R * inv).ravel()
        dB1 = (A1.T @ ES - (R.T @ RM) / eps2 - M) * s
        out[sb] = dB1.ravel()
        geps_eps = -f / eps2 + (self.d - self.r) + eps2 * np.sum(inv)
        du = -geps_eps / eps2 if parameterization == "eps" else -geps_eps
        out[-1] = du
        if self.carry_residual:
            out[se] = (-(dA1 @ B1 + A1 @ dB1) / eps2 - 2 * du * Eh).ravel()
        return out

    def value(self, z) -> np.ndarray:
        """L1 at a batch of states, from the precise residual (eq. 5)."""
        m, A1, B1, Eh, R, u = self._parts(z)
        eps2, M, cc, RM, ES, f = self._terms(A1, B1, Eh, R, u)
        v = (f / (2 * eps2) + 0.5 * np.sum(M**2, axis=(1, 2)) + (self.d - self.r) * u
             + 0.5 * np.sum(1 + np.log(cc), axis=1))
        return v[0] if m is None else v

    def mass(self, z):
        """||P_W⊥ Ã||² = ||R||²."""
        z = np.asarray(z)
        if z.ndim == 1:  # one state (the events): no unpacking
            Rv = z[self.slices[3]]
            return float(Rv @ Rv)
        m, _, _, _, R, _ = self._parts(z)
        v = np.sum(R**2, axis=(1, 2))
        return v[0] if m is None else v

    def magnitude(self, z) -> float:
        """The largest absolute coordinate of Â, B̂ and ε (the blow-up event's measure) of one state."""
        z = np.asarray(z, dtype=float)
        sa, sb, _, sr = self.slices
        big = max(np.max(np.abs(z[sa.start:sb.stop]), initial=0.0), np.max(np.abs(z[sr]), initial=0.0), self._b2_max)
        return max(float(big), float(np.exp(z[-1])))

    def natural(self, z) -> np.ndarray:
        """The packed natural parameters (vec Ã, vec B̃, ε) of one state: Ã = U[Â1; Q0 R], B̃ = [B̂1, B̂2]Uᵀ."""
        _, A1, B1, _, R, u = self._parts(z)
        Ah = np.vstack([A1[0], self.Q0 @ R[0]]) if self.d > self.k else A1[0]
        Bh = np.hstack([B1[0], self.B2])
        return np.concatenate([(self.U @ Ah).ravel(), (Bh @ self.U.T).ravel(), [np.exp(u[0])]])
