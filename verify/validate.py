"""The one validator of vae-verify's public arguments.

Every ``check_*`` returns the value in a canonical form (``int``, ``float``, a float64 ``ndarray``)
or raises :class:`verify.VerifyError` ``(name, value, problem)``, whose message starts with the
argument's name as the caller spells it, e.g. ``eps=0.0: must be > 0``.

Rules shared by all checks:

* bools are not numbers here (``eps=True``, ``steps=False`` are refused), nor are strings;
* complex numbers and complex arrays are refused, never silently cut to their real part;
* arrays must be non-empty (every axis of length >= 1) and finite unless asked otherwise.

The checks are meant for public entry points, not inner loops: validate once, then compute.
"""
from __future__ import annotations

import numbers
from typing import Iterable, Optional, Sequence

import numpy as np

from ._errors import VerifyError

__all__ = [
    "check_int",
    "check_positive_int",
    "check_nonnegative_int",
    "check_finite_real",
    "check_positive_real",
    "check_real_in",
    "check_array",
    "check_choice",
    "check_bool",
    "check_rng",
    "check_callable",
]


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


# ---- integers -------------------------------------------------------------------------------
def check_int(name: str, value, minimum: Optional[int] = None, maximum: Optional[int] = None, *,
              why: str = "") -> int:
    """An integer (Python or NumPy, not bool, not a float such as 3.0) in [minimum, maximum];
    ``why`` (optional) says where the maximum comes from, e.g. ``"d, the data dimension"``."""
    what = {None: "an integer", 1: "a positive integer", 0: "a nonnegative integer"}.get(
        minimum, f"an integer >= {minimum}")
    bound = "" if maximum is None else f" at most {maximum}" + (f" ({why})" if why else "")
    if _is_bool(value) or not isinstance(value, (numbers.Integral, np.integer)):
        raise VerifyError(name, value, f"must be {what}" + (f",{bound}" if bound else ""))
    v = int(value)
    if minimum is not None and v < minimum:
        raise VerifyError(name, value, f"must be {what}" + (f",{bound}" if bound else ""))
    if maximum is not None and v > maximum:
        raise VerifyError(name, value, f"must be{bound}")
    return v


def check_positive_int(name: str, value, maximum: Optional[int] = None, *, why: str = "") -> int:
    """An integer >= 1 (and <= ``maximum`` when given): dimensions, sample and step counts."""
    return check_int(name, value, 1, maximum, why=why)


def check_nonnegative_int(name: str, value, maximum: Optional[int] = None, *, why: str = "") -> int:
    """An integer >= 0: seeds, numbers of steps that may be zero."""
    return check_int(name, value, 0, maximum, why=why)


# ---- reals ----------------------------------------------------------------------------------
def check_finite_real(name: str, value) -> float:
    """A finite real scalar (int, float, NumPy scalar, 0-d array; not bool, complex or string)."""
    if _is_bool(value) or isinstance(value, (str, bytes)):
        raise VerifyError(name, value, "must be a real number")
    if isinstance(value, (complex, np.complexfloating)):
        raise VerifyError(name, value, "must be a real number, not complex")
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            raise VerifyError(name, value, "must be a real number, not an array")
        if value.dtype.kind not in "iuf":
            raise VerifyError(name, value, "must be a real number")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise VerifyError(name, value, "must be a real number") from None
    if not np.isfinite(x):
        raise VerifyError(name, value, "must be finite")
    return x


def check_positive_real(name: str, value, minimum: Optional[float] = None, why: str = "") -> float:
    """A finite real > 0; with ``minimum``, also >= minimum (``why`` says what goes wrong below it)."""
    x = check_finite_real(name, value)
    if x <= 0:
        raise VerifyError(name, value, "must be > 0")
    if minimum is not None and x < minimum:
        raise VerifyError(name, value, f"must be >= {minimum:.3g}" + (f" ({why})" if why else ""))
    return x


def check_real_in(name: str, value, low: float, high: float, *, include_low: bool = True,
                  include_high: bool = True) -> float:
    """A finite real in the interval from ``low`` to ``high`` (closed or open at each end)."""
    x = check_finite_real(name, value)
    above = x >= low if include_low else x > low
    below = x <= high if include_high else x < high
    if not (above and below):
        interval = f"{'[' if include_low else '('}{low:g}, {high:g}{']' if include_high else ')'}"
        raise VerifyError(name, value, f"must be in {interval}")
    return x


# ---- arrays ---------------------------------------------------------------------------------
def check_array(name: str, value, *, ndim: Optional[int] = None, shape: Optional[Sequence] = None,
                nonempty: bool = True, finite: bool = True, positive: bool = False,
                minimum: Optional[float] = None, why: str = "") -> np.ndarray:
    """A real float64 array: ``ndim`` dimensions, ``shape`` (entries None are free), every axis of
    length >= 1 when ``nonempty``, finite entries when ``finite``, entries > 0 when ``positive`` and
    >= ``minimum`` when given (``why`` says what goes wrong below it).

    Shape problems are reported as ``name.shape=(...)``; entry problems as ``name=array(...)``.
    """
    if type(value) is np.ndarray and value.dtype == np.float64:
        arr = value  # the common case: no conversion
    else:
        if value is None or _is_bool(value) or isinstance(value, (str, bytes)):
            raise VerifyError(name, value, "is not a numeric array")
        try:
            raw = np.asarray(value)
        except (TypeError, ValueError) as exc:
            raise VerifyError(name, value, f"is not a numeric array ({exc})") from None
        kind = raw.dtype.kind
        if kind == "c":
            raise VerifyError(name, value, "has complex entries; only real arrays are accepted "
                                           "(the imaginary part would be dropped)")
        if kind == "b":
            raise VerifyError(name, value, "is a boolean array, not a numeric one")
        if kind not in "iufO":
            raise VerifyError(name, value, f"is not a numeric array (dtype {raw.dtype})")
        try:
            arr = raw.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise VerifyError(name, value, f"is not a real numeric array ({exc})") from None
    if ndim is not None and arr.ndim != ndim:
        what = {1: "a 1-D vector", 2: "a 2-D matrix"}.get(ndim, f"a {ndim}-D array")
        raise VerifyError(name, value, f"must be {what}, got {arr.ndim} dimension(s)")
    if shape is not None:
        if len(shape) != arr.ndim:
            raise VerifyError(f"{name}.shape", arr.shape, f"must have {len(shape)} dimension(s)")
        for axis, (want, got) in enumerate(zip(shape, arr.shape)):
            if want is not None and want != got:
                raise VerifyError(f"{name}.shape", arr.shape, f"axis {axis} must have length {want}")
    if nonempty and arr.size == 0:
        raise VerifyError(f"{name}.shape", arr.shape, "must not be empty (every axis of length >= 1)")
    if finite and not np.isfinite(arr).all():
        raise VerifyError(name, value, "has non-finite entries (NaN or ±inf)")
    if positive and arr.size and not arr.min() > 0:
        raise VerifyError(name, value, "entries must be > 0")
    if minimum is not None and arr.size and not arr.min() >= minimum:
        raise VerifyError(name, value, f"entries must be >= {minimum:.3g}" + (f" ({why})" if why else ""))
    return arr


# ---- everything else ------------------------------------------------------------------------
def check_choice(name: str, value, options: Iterable):
    """One of ``options`` (compared by type and equality, so arrays and bools never match a string)."""
    options = tuple(options)
    for option in options:
        if isinstance(value, type(option)) and _is_bool(value) == _is_bool(option) and value == option:
            return option
    raise VerifyError(name, value, f"unknown; choose one of {list(options)}")


def check_bool(name: str, value) -> bool:
    """True or False (a NumPy bool too); not 0/1 or a string."""
    if not _is_bool(value):
        raise VerifyError(name, value, "must be True or False")
    return bool(value)


def check_rng(name: str, value) -> np.random.Generator:
    """A NumPy ``Generator`` (``numpy.random.default_rng(seed)``), so every run is reproducible."""
    if not isinstance(value, np.random.Generator):
        raise VerifyError(name, value, "must be a numpy.random.Generator (numpy.random.default_rng(seed))")
    return value


def check_callable(name: str, value):
    """Something that can be called."""
    if not callable(value):
        raise VerifyError(name, value, "must be callable")
    return value
