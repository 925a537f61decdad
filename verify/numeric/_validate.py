"""Input checking for the numeric layer: every message names the argument and the value."""
from __future__ import annotations

import numpy as np

from .._errors import VerifyError

__all__ = ["as_matrix", "as_positive_vector", "as_positive_scalar"]


def as_matrix(name: str, value, shape=None) -> np.ndarray:
    """A finite 2-D float array; ``shape`` entries that are None are free."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise VerifyError(name, value, f"is not a numeric array ({exc})") from None
    if arr.ndim != 2:
        raise VerifyError(name, value, f"must be a 2-D matrix, got {arr.ndim} dimension(s)")
    if shape is not None:
        for axis, (want, got) in enumerate(zip(shape, arr.shape)):
            if want is not None and want != got:
                raise VerifyError(f"{name}.shape", arr.shape, f"axis {axis} must have length {want}")
    if not np.all(np.isfinite(arr)):
        raise VerifyError(name, value, "has non-finite entries")
    return arr


def as_positive_vector(name: str, value, length: int) -> np.ndarray:
    """A finite 1-D array of the given length with strictly positive entries (e.g. diag D)."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise VerifyError(name, value, f"is not a numeric array ({exc})") from None
    if arr.ndim == 2 and arr.shape[0] == arr.shape[1]:
        off = arr - np.diag(np.diag(arr))
        if np.any(off != 0):
            raise VerifyError(name, value, "must be diagonal")
        arr = np.diag(arr)
    if arr.shape != (length,):
        raise VerifyError(f"{name}.shape", arr.shape, f"must be ({length},) (the diagonal of an r x r matrix, r={length})")
    if not np.all(np.isfinite(arr)):
        raise VerifyError(name, value, "has non-finite entries")
    if np.any(arr <= 0):
        raise VerifyError(name, value, "entries must be > 0")
    return arr


def as_positive_scalar(name: str, value) -> float:
    """A finite, strictly positive float (e.g. ε)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise VerifyError(name, value, "must be a real number") from None
    if not np.isfinite(x):
        raise VerifyError(name, value, "must be finite")
    if x <= 0:
        raise VerifyError(name, value, "must be > 0")
    return x
