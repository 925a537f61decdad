"""Input checking for the numeric layer, on top of :mod:`verify.validate`: the matrices of the
linear VAE and its variances D and ε, with the smallest variances float64 can take.

Every message names the argument and its value (see :class:`verify.VerifyError`).

The smallest variances.  The losses (4), (5), their gradients and Hessians divide by ε², ε³, ε⁴
and by D_ii, D_ii² (:mod:`._objective`).  Below ``EPS_MIN`` = (smallest normal float64)^(1/4)
≈ 1.2e-77, ε⁴ is no longer a normal float64 and 1/ε⁴ overflows; below ``D_MIN`` = (smallest normal
float64)^(1/2) ≈ 1.5e-154 the same happens to 1/D_ii².  Such variances are *refused* with a
VerifyError (not computed: the loss there is dominated by an overflowing 1/ε² term, so a float64
answer would be ±inf or garbage).  Every ε the project uses (flows stop at ε >= 1e-12, the
theorems are checked down to ε = 1e-8) is far above these limits.
"""
from __future__ import annotations

import numpy as np

from .._errors import VerifyError
from ..validate import check_array, check_positive_real

__all__ = ["EPS_MIN", "D_MIN", "as_matrix", "as_D", "as_eps"]

_TINY = float(np.finfo(np.float64).tiny)
#: The smallest ε accepted: ε⁴ (in the Hessians) must be a normal float64, so 1/ε⁴ is finite.
EPS_MIN = _TINY**0.25
#: The smallest D_ii accepted: D_ii² (in the Hessian of (4)) must be a normal float64.
D_MIN = _TINY**0.5

EPS_WHY = "below it 1/ε⁴ overflows float64"
D_WHY = "below it 1/D² overflows float64"


def as_matrix(name: str, value, shape=None) -> np.ndarray:
    """A finite, non-empty, real 2-D float array; ``shape`` entries that are None are free."""
    return check_array(name, value, ndim=2, shape=shape)


def as_D(name: str, value, r: int) -> np.ndarray:
    """diag D̃: a finite vector of length r (or a diagonal r x r matrix) with entries >= D_MIN."""
    arr = check_array(name, value)
    if arr.ndim == 2 and arr.shape[0] == arr.shape[1]:
        if np.any(arr - np.diag(np.diag(arr)) != 0):
            raise VerifyError(name, value, "must be diagonal")
        arr = np.diag(arr)
    if arr.shape != (r,):
        raise VerifyError(f"{name}.shape", arr.shape, f"must be ({r},) (the diagonal of an r x r matrix, r={r})")
    return check_array(name, arr, positive=True, minimum=D_MIN, why=D_WHY)


def as_eps(name: str, value) -> float:
    """ε̃: a finite real >= EPS_MIN."""
    return check_positive_real(name, value, EPS_MIN, EPS_WHY)
