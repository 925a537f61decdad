"""Shared test configuration: the Hypothesis profiles are the library's (verify.strategies).

HYPOTHESIS_PROFILE selects ``ci`` (fast, derandomized; the default), ``dev`` or ``thorough``.
"""
import atexit
import functools
import os
import shutil
import tempfile

import pytest
from hypothesis import settings

from proofs.koehler2022 import PAPER
from verify.strategies import active_profile

settings.load_profile(active_profile())

# One Table 1 cache per test session, shared by the in-process checks and the ``vae-verify report``
# subprocess (which inherits the environment): the 42 training runs are made once, never read from
# a user's cache.
os.environ["VAE_VERIFY_CACHE"] = tempfile.mkdtemp(prefix="vae-verify-table1-")
atexit.register(shutil.rmtree, os.environ["VAE_VERIFY_CACHE"], True)


@pytest.fixture(scope="session")
def checked():
    """``checked(id)``: the ClaimResult of a statement, computed once per test session."""
    return functools.lru_cache(maxsize=None)(PAPER.check)
