"""The library's one exception type (DESIGN habit 8)."""
from __future__ import annotations

__all__ = ["VerifyError"]


class VerifyError(ValueError):
    """Bad input to vae-verify: the message names the argument and its value.

    It subclasses ``ValueError`` so callers that already catch ``ValueError`` keep working.
    """

    def __init__(self, argument: str, value: object, problem: str):
        self.argument = argument
        self.value = value
        self.problem = problem
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"{argument}={shown}: {problem}")
