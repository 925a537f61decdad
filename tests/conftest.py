"""Shared test configuration: the Hypothesis profiles are the library's (verify.strategies).

HYPOTHESIS_PROFILE selects ``ci`` (fast, derandomized; the default), ``dev`` or ``thorough``.
"""
from hypothesis import settings

from verify.strategies import active_profile

settings.load_profile(active_profile())
