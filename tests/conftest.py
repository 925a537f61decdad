"""Shared test configuration: the Hypothesis profiles are the library's (verify.strategies).

HYPOTHESIS_PROFILE selects ``ci`` (fast, derandomized; the default), ``dev`` or ``thorough``.
"""
import functools

import pytest
from hypothesis import settings

import proofs
from verify.strategies import active_profile

settings.load_profile(active_profile())


@pytest.fixture(scope="session")
def checked():
    """``checked(id)``: the ClaimResult of a statement, computed once per test session."""
    return functools.lru_cache(maxsize=None)(proofs.check)
