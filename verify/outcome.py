"""The outcome of one check: :class:`Status` and :class:`Check`.

This module depends on nothing else in vae-verify, so that both the derivation engine and the
claims layer can import it (no import cycle).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

__all__ = ["Status", "Check"]


class Status(str, enum.Enum):
    """Outcome of one checked step or check; the value says what it means."""

    PROVED = "proved"  # SymPy decided it and every mpmath point agreed
    NUMERIC = "numerically_verified"  # SymPy undecided; every mpmath point held
    FAILED = "failed"  # a point (the witness) violates it
    UNDECIDED = "undecided"  # neither method could decide (e.g. nothing numeric could be evaluated)

    @property
    def holds(self) -> bool:
        return self in (Status.PROVED, Status.NUMERIC)


@dataclass(frozen=True)
class Check:
    """A standalone check (not a derivation step): what was compared, how, and how close."""

    name: str
    status: Status
    method: str
    scope: str
    worst_error: Optional[float] = None
    witness: Optional[str] = None
    details: str = ""

    def __post_init__(self):
        if self.status is Status.FAILED and not self.witness:
            raise ValueError(f"check {self.name!r} failed without a witness")

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "status": self.status.value,
            "method": self.method,
            "scope": self.scope,
            "worst_error": self.worst_error,
            "witness": self.witness,
            "details": self.details,
        }
