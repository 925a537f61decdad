"""Shared test configuration: Hypothesis profiles live in one place (DESIGN habit 9).

HYPOTHESIS_PROFILE selects ``ci`` (fast, derandomized; the default), ``dev`` or ``thorough``.
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
