"""Statements of the paper, their evidence, and the verdict the evidence supports.

The verdict vocabulary is the one of DESIGN.md (:class:`Verdict`).  A verdict is never written by
hand: :meth:`ClaimResult.from_evidence` computes it from the outcomes of checks that can fail.

Evidence comes in three roles:

* ``statement``: establishes the statement *as printed* (a derivation whose end is the printed
  formula, or a standalone check of it);
* ``correction``: establishes a corrected statement (only consulted when a ``statement`` item
  failed);
* ``proof``: follows the paper's proof; an erratum found there is reported, but the verdict is
  about the statement.
"""
from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from ._errors import VerifyError
from .derivation import Derivation, Erratum, Status

__all__ = ["Verdict", "Statement", "Check", "Evidence", "Figure", "ClaimResult", "run_check"]


class Verdict(str, enum.Enum):
    """What the checks showed about a statement."""

    VERIFIED = "verified"
    VERIFIED_NUMERICALLY = "verified_numerically"
    REFUTED = "refuted"
    HOLDS_AS_CORRECTED = "holds_as_corrected"
    INCONCLUSIVE = "inconclusive"

    @property
    def description(self) -> str:
        return {
            "verified": "exact symbolic proof of what was claimed, for the stated scope, confirmed numerically",
            "verified_numerically": "held on every instance tried; SymPy could not decide every step",
            "refuted": "a witness shows the printed statement is false, and no correction was verified",
            "holds_as_corrected": "the printed form is refuted by a witness; the corrected form is verified",
            "inconclusive": "the checks could not decide",
        }[self.value]

    @property
    def acceptable(self) -> bool:
        """Exit status 0 allows these verdicts."""
        return self in (Verdict.VERIFIED, Verdict.VERIFIED_NUMERICALLY, Verdict.HOLDS_AS_CORRECTED)


@dataclass(frozen=True)
class Statement:
    """A statement of the paper: its id, where it is, and its text as printed."""

    id: str
    title: str
    reference: str
    printed: str
    module: Optional[str] = None  # the proofs module that checks it; None = not yet checked
    formula: str = ""  # the statement's central formula in LaTeX (rendered as MathML in the HTML report)

    def __post_init__(self):
        if not self.id or not self.id.isidentifier():
            raise VerifyError("id", self.id, "a statement id must be a non-empty identifier")


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


@dataclass(frozen=True)
class Figure:
    """A PNG figure for the report: ``name`` becomes the file name, ``caption`` its text."""

    name: str
    caption: str
    png: bytes = field(repr=False)

    def __post_init__(self):
        if not self.name.replace("-", "").replace("_", "").isalnum():
            raise VerifyError("name", self.name, "a figure name must be letters, digits, - and _")
        if not self.png.startswith(b"\x89PNG"):
            raise VerifyError("png", self.png[:8], "is not PNG data")


@dataclass(frozen=True)
class Evidence:
    """A derivation or a check, with the role it plays for the verdict."""

    role: str
    item: object  # Derivation | Check
    scope: str = ""

    def __post_init__(self):
        if self.role not in ROLES:
            raise VerifyError("role", self.role, f"must be one of {ROLES}")
        if not isinstance(self.item, (Derivation, Check)):
            raise VerifyError("item", type(self.item).__name__, "must be a Derivation or a Check")

    @property
    def status(self) -> Status:
        return self.item.status

    def to_dict(self) -> dict:
        body = self.item.to_dict()
        kind = "derivation" if isinstance(self.item, Derivation) else "check"
        return {"role": self.role, "kind": kind, "scope": self.scope, **body}


#: statement: establishes the printed statement; support: corroborates it (a failure refutes, but a
#: merely numeric success does not downgrade a proof); correction: establishes a corrected form;
#: proof: follows the paper's proof (its errata are reported; the verdict is about the statement).
ROLES = ("statement", "support", "correction", "proof")


def _combine(statuses: Sequence[Status]) -> Optional[Status]:
    if not statuses:
        return None
    if any(s is Status.FAILED for s in statuses):
        return Status.FAILED
    if any(s is Status.UNDECIDED for s in statuses):
        return Status.UNDECIDED
    if all(s is Status.PROVED for s in statuses):
        return Status.PROVED
    return Status.NUMERIC


@dataclass(frozen=True)
class ClaimResult:
    """The verdict on one statement and everything it rests on."""

    statement: Statement
    verdict: Verdict
    evidence: tuple
    errata: tuple
    summary: str
    elapsed_s: float
    error: Optional[str] = None
    figures: tuple = ()
    notes: tuple = ()  # markdown blocks shown after the summary (e.g. a side-by-side table)

    @classmethod
    def from_evidence(cls, statement: Statement, evidence: Sequence[Evidence], summary: str, elapsed_s: float,
                      extra_errata: Sequence[Erratum] = (), figures: Sequence[Figure] = (),
                      notes: Sequence[str] = ()) -> "ClaimResult":
        """Compute the verdict from the evidence (the only way a verdict is made)."""
        evidence = tuple(evidence)
        printed = _combine([e.status for e in evidence if e.role == "statement"])
        support = _combine([e.status for e in evidence if e.role == "support"])
        if support is Status.FAILED or (support is Status.UNDECIDED and printed is not Status.FAILED):
            printed = support
        corrected = _combine([e.status for e in evidence if e.role == "correction"])
        if printed is None:
            verdict = Verdict.INCONCLUSIVE
        elif printed is Status.FAILED:
            verdict = Verdict.HOLDS_AS_CORRECTED if corrected is not None and corrected.holds else Verdict.REFUTED
        elif printed is Status.UNDECIDED:
            verdict = Verdict.INCONCLUSIVE
        elif printed is Status.PROVED:
            verdict = Verdict.VERIFIED
        else:
            verdict = Verdict.VERIFIED_NUMERICALLY
        if verdict is Verdict.HOLDS_AS_CORRECTED and corrected is Status.NUMERIC:
            summary += " (the correction holds numerically, not symbolically)"
        errata = []
        for e in evidence:
            if isinstance(e.item, Derivation):
                errata.extend(e.item.errata)
        errata.extend(extra_errata)
        return cls(statement, verdict, evidence, tuple(errata), summary, elapsed_s, None, tuple(figures), tuple(notes))

    def figure_files(self) -> dict:
        """Each figure's path in the report (``figures/<id>-<name>.png``) mapped to its PNG bytes."""
        return {f"figures/{self.statement.id}-{f.name}.png": f.png for f in self.figures}

    @classmethod
    def crashed(cls, statement: Statement, error: str, elapsed_s: float) -> "ClaimResult":
        return cls(statement, Verdict.INCONCLUSIVE, (), (), f"the check raised an error: {error}", elapsed_s, error)

    def to_dict(self) -> dict:
        return {
            "id": self.statement.id,
            "title": self.statement.title,
            "reference": self.statement.reference,
            "printed": self.statement.printed,
            "formula": self.statement.formula,
            "checked": True,
            "verdict": self.verdict.value,
            "verdict_meaning": self.verdict.description,
            "summary": self.summary,
            "elapsed_s": round(self.elapsed_s, 3),
            "error": self.error,
            "errata": [
                {
                    "where": e.where,
                    "printed": e.printed,
                    "witness": e.witness,
                    "correction": e.correction,
                    "correction_status": e.correction_status.value,
                }
                for e in self.errata
            ],
            "evidence": [e.to_dict() for e in self.evidence],
            "notes": list(self.notes),
            "figures": [{"path": path, "caption": f.caption} for path, f in zip(self.figure_files(), self.figures)],
        }


def run_check(statement: Statement, build: Callable[[], tuple]) -> ClaimResult:
    """Run ``build() -> (evidence, summary[, extra_errata[, figures[, notes]]])``; an exception becomes inconclusive."""
    t0 = time.perf_counter()
    try:
        out = build()
    except Exception as exc:  # noqa: BLE001 - any failure of a check is reported, not raised
        return ClaimResult.crashed(statement, f"{type(exc).__name__}: {exc}", time.perf_counter() - t0)
    evidence, summary, *rest = out
    extra = rest[0] if rest else ()
    figures = rest[1] if len(rest) > 1 else ()
    notes = rest[2] if len(rest) > 2 else ()
    return ClaimResult.from_evidence(statement, evidence, summary, time.perf_counter() - t0, extra, figures, notes)
