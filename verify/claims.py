"""Statements, their evidence, and the verdict the evidence supports.

The verdict vocabulary is :class:`Verdict`.  A verdict is never written by hand:
:meth:`ClaimResult.from_evidence` computes it from the outcomes of checks that can fail.

Evidence (:class:`Evidence`) has a :class:`Role`:

* ``statement``: establishes the statement *as printed* (a derivation whose end is the printed
  formula, or a standalone check of it);
* ``support``: corroborates it; a failure refutes, but a merely numeric success does not
  downgrade a proof;
* ``correction``: establishes a corrected statement (consulted when the printed one failed);
* ``proof``: follows the paper's proof; its errata are reported, the verdict is about the statement.

and a :class:`Coverage`: whether a proof covers the statement's *whole* scope (symbolic
dimensions, every instance), or only the bounded dimensions its scope text names.  A statement is
``verified`` only when every statement item is a proof of the whole scope.

A proof module returns a :class:`ProofReport` (frozen): the evidence, a summary, and optionally
errata that are not derivation steps (:func:`erratum_from` builds them from checks), figures,
notes and :class:`Finding` s (what the checks reveal beyond the paper).
"""
from __future__ import annotations

import copy

import enum
import time
from dataclasses import dataclass, field, replace as _replace
from typing import Callable, Optional, Sequence, Union

from ._errors import VerifyError
from .derivation import Derivation, Erratum, StepRecord, _issue, issued
from .outcome import Check, Status

__all__ = ["Verdict", "Role", "Coverage", "Statement", "Check", "Evidence", "Figure", "Finding", "FindingKind",
           "ProofReport", "ClaimResult", "run_check", "erratum_from", "VERDICT_LEGEND", "RunRecord", "Items",
           "run_records"]


class Verdict(str, enum.Enum):
    """What the checks showed about a statement (the one vocabulary of the library, CLI and report)."""

    VERIFIED = "verified"
    VERIFIED_BOUNDED = "verified_bounded"
    VERIFIED_NUMERICALLY = "verified_numerically"
    REFUTED = "refuted"
    HOLDS_AS_CORRECTED = "holds_as_corrected"
    INCONCLUSIVE = "inconclusive"

    @property
    def description(self) -> str:
        return VERDICT_LEGEND[self.value]

    @property
    def acceptable(self) -> bool:
        """Exit status 0 allows these verdicts."""
        return self in (Verdict.VERIFIED, Verdict.VERIFIED_BOUNDED, Verdict.VERIFIED_NUMERICALLY,
                        Verdict.HOLDS_AS_CORRECTED)


#: The one verdict legend (README, Markdown, HTML and JSON all print this text).
VERDICT_LEGEND = {
    "verified": "proved for the statement's whole scope (every dimension), every step confirmed numerically",
    "verified_bounded": "proved exactly at the bounded dimensions its proof scope names, checked numerically "
                        "beyond; not proved for every dimension",
    "verified_numerically": "no counterexample found by the searches named in the evidence; not proved",
    "refuted": "a witness shows the printed statement is false, and no correction was established",
    "holds_as_corrected": "the printed form is refuted by a witness; the corrected form is established "
                          "(to the strength its evidence names)",
    "inconclusive": "the checks could not decide (an experiment that did not converge, or an error the report shows)",
}


class Role(str, enum.Enum):
    """The part an item of evidence plays for the verdict (see the module docstring)."""

    STATEMENT = "statement"
    SUPPORT = "support"
    CORRECTION = "correction"
    PROOF = "proof"


class Coverage(str, enum.Enum):
    """How much of the statement's scope a *proved* item covers."""

    ALL = "all"  # the statement's whole scope: symbolic dimensions, or a statement with no dimensions
    BOUNDED = "bounded"  # the finitely many shapes its scope text names


@dataclass(frozen=True)
class Statement:
    """A statement of a paper: its id, where it is, its text as printed, and its scope.

    ``scope`` says for which objects the paper claims it ("every d, r >= 1, r* < d"), so that the
    report can set it beside the scope of what was shown.  ``dimensions`` names the dimension
    symbols of that scope: an item that claims :attr:`Coverage.ALL` must be a derivation in which
    each of them is a free symbol (checked in :class:`ClaimResult`).
    """

    id: str
    title: str
    reference: str
    printed: str
    formula: str = ""  # the statement's central formula in LaTeX (rendered as MathML in the HTML report)
    scope: str = ""
    dimensions: tuple = ()

    def __post_init__(self):
        if not self.id or not self.id.isidentifier():
            raise VerifyError("id", self.id, "a statement id must be a non-empty identifier")


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
    """A derivation or a check, with the role it plays for the verdict and the scope it covers."""

    role: Role
    item: object  # Derivation | Check
    scope: str = ""
    coverage: Coverage = Coverage.BOUNDED

    def __post_init__(self):
        try:
            object.__setattr__(self, "role", Role(self.role))
        except ValueError:
            raise VerifyError("role", self.role, f"must be one of {[r.value for r in Role]}") from None
        object.__setattr__(self, "coverage", Coverage(self.coverage))
        if not isinstance(self.item, (Derivation, Check)):
            raise VerifyError("item", type(self.item).__name__, "must be a Derivation or a Check")

    @property
    def status(self) -> Status:
        """The status of the item as printed: a derivation with any failed printed step is FAILED."""
        return self.item.printed_status if isinstance(self.item, Derivation) else self.item.status

    @property
    def corrected_status(self) -> Status:
        """The status once the derivation's checked corrections are taken (= status for a check)."""
        return self.item.status

    def to_dict(self) -> dict:
        body = self.item.to_dict()
        kind = "derivation" if isinstance(self.item, Derivation) else "check"
        return {"role": self.role.value, "kind": kind, "scope": self.scope, "coverage": self.coverage.value, **body}


class FindingKind(str, enum.Enum):
    """What a finding is about: something the paper does not discuss (not an erratum)."""

    SHARPNESS = "sharpness"  # the best constant in a bound, with a witness that it is attained or approached
    CONVERSE = "converse"  # whether a necessary (sufficient) condition is also sufficient (necessary)
    EXISTENCE = "existence"  # whether a flow's solution exists for all time, and what happens where it ends
    COMPETING = "competing_minimisers"  # how fast competing asymptotic minimisers' losses go to -inf
    OTHER = "other"


@dataclass(frozen=True)
class Finding:
    """What a search the tool ran reveals beyond the paper, with its witness and how it was found."""

    kind: FindingKind
    title: str
    text: str
    witness: str
    method: str

    def __post_init__(self):
        object.__setattr__(self, "kind", FindingKind(self.kind))
        if not self.witness:
            raise VerifyError("witness", self.witness, f"finding {self.title!r} needs a witness")
        if not self.method:
            raise VerifyError("method", self.method, f"finding {self.title!r} must say how it was found")

    def to_dict(self) -> dict:
        return {"kind": self.kind.value, "title": self.title, "text": self.text, "witness": self.witness,
                "method": self.method}


def _tuple_of(value, kind, name) -> tuple:
    items = tuple(value)
    for x in items:
        if not isinstance(x, kind):
            raise VerifyError(name, type(x).__name__, f"every item must be a {kind.__name__}")
    return items


@dataclass(frozen=True)
class RunRecord:
    """Where one run of an experiment (one row or cell of a reproduced table) came from.

    ``parameters``: everything that determines the run, as plain JSON (the cached task's payload,
    narrowed to this run); ``seed``: its seed; ``cached``: whether this report read it from the run
    cache (:mod:`verify.cache`) instead of computing it; ``cache_key``: the key of its cache entry
    (``<cache dir>/<key>.json``); ``command``: the command that recomputes it, and ``recomputes`` what
    that command recomputes besides it (for example the other runs trained in the same group)."""

    table: str
    label: str
    parameters: dict
    seed: object
    cached: bool
    cache_key: str
    command: str
    recomputes: str = ""

    def __post_init__(self):
        if not isinstance(self.parameters, dict):
            raise VerifyError("parameters", type(self.parameters).__name__, "must be a dict of plain JSON values")
        if not self.cache_key or not self.command:
            raise VerifyError("run", self.label, "a run record needs its cache key and the command that recomputes it")
        object.__setattr__(self, "cached", bool(self.cached))

    def to_dict(self) -> dict:
        return {"table": self.table, "label": self.label, "parameters": self.parameters, "seed": self.seed,
                "cached": self.cached, "cache_key": self.cache_key, "command": self.command,
                "recomputes": self.recomputes}


def run_records(table: str, tasks: Sequence, from_cache: Sequence, members, command) -> tuple:
    """RunRecords of ``tasks`` (verify.runner.Task: ``key``, ``payload``) and whether each came from the
    cache (``verify.runner.Results.from_cache``).  ``members(payload)`` lists the runs of one task as
    (label, parameters, seed) triples; ``command(payload, parameters, seed)`` returns (command,
    recomputes)."""
    if len(tasks) != len(from_cache):
        raise VerifyError("from_cache", len(from_cache), f"needs one flag per task ({len(tasks)})")
    out = []
    for task, cached in zip(tasks, from_cache):
        for label, params, seed in members(task.payload):
            cmd, what = command(task.payload, params, seed)
            out.append(RunRecord(table, label, params, seed, cached, task.key, cmd, what))
    return tuple(out)


class Items(dict):
    """Named evidence items of a proof, in order: name -> tuple of :class:`Evidence` (what
    :meth:`verify.paper.Paper.evaluate` returns; ``vae-verify check ID --only NAME`` evaluates only
    the named builders)."""

    @property
    def evidence(self) -> tuple:
        return tuple(e for evs in self.values() for e in evs)

    @property
    def names(self) -> tuple:
        """The item name of each evidence item, parallel to :attr:`evidence`."""
        return tuple(n for n, evs in self.items() for _ in evs)


@dataclass(frozen=True)
class ProofReport:
    """What a proof module returns: the contract between ``proofs/<paper>/`` and the engine.

    ``items`` (optional): the name of the registered item (:meth:`verify.paper.Paper.item`) each
    evidence item came from, parallel to ``evidence``; ``runs``: a :class:`RunRecord` per run of a
    reproduced table."""

    evidence: tuple
    summary: str
    errata: tuple = ()
    figures: tuple = ()
    notes: tuple = ()  # markdown blocks shown after the summary (e.g. a side-by-side table)
    findings: tuple = ()
    items: tuple = ()
    runs: tuple = ()

    @classmethod
    def from_items(cls, items: "Items", summary: str, **kwargs) -> "ProofReport":
        """The report of a proof made of named items (:meth:`verify.paper.Paper.evaluate`)."""
        if not isinstance(items, Items):
            raise VerifyError("items", type(items).__name__, "must be the Items that Paper.evaluate returns")
        return cls(items.evidence, summary, items=items.names, **kwargs)

    def __post_init__(self):
        object.__setattr__(self, "evidence", _tuple_of(self.evidence, Evidence, "evidence"))
        object.__setattr__(self, "items", _tuple_of(self.items, str, "items"))
        object.__setattr__(self, "runs", _tuple_of(self.runs, RunRecord, "runs"))
        if self.items and len(self.items) != len(self.evidence):
            raise VerifyError("items", len(self.items), f"needs one item name per evidence item ({len(self.evidence)})")
        object.__setattr__(self, "errata", _tuple_of((e for e in self.errata if e is not None), Erratum, "errata"))
        object.__setattr__(self, "figures", _tuple_of(self.figures, Figure, "figures"))
        object.__setattr__(self, "notes", _tuple_of(self.notes, str, "notes"))
        object.__setattr__(self, "findings", _tuple_of(self.findings, Finding, "findings"))
        if not self.evidence:
            raise VerifyError("evidence", (), "a proof must produce evidence")
        for e in self.errata:
            if not issued(e):
                raise VerifyError("errata", e.where, "an erratum must come from a check (erratum_from or a "
                                  "Derivation step), not be written by hand: its correction status would be unchecked")


def erratum_from(where: str, printed: str, check: Union[Check, StepRecord], correction: str,
                 correction_check: Union[Check, StepRecord, Sequence, None], context: str = "") -> Optional[Erratum]:
    """An erratum when ``check`` (of the printed form) failed, else None.

    The correction's status is the combined status of ``correction_check`` (one check, a step, or a
    sequence of them, e.g. Evidence items): never a constant.  None as correction check means no
    correction was checked, and the erratum says so (status undecided).
    """
    if not isinstance(check, (Check, StepRecord)):
        # a Derivation's .status is its *corrected* status: a failed printed step would be dropped
        raise VerifyError("check", type(check).__name__, "must be a Check or a StepRecord (the printed form's check)")
    if check.status is not Status.FAILED:
        return None
    if correction_check is None:
        status = Status.UNDECIDED
    else:
        items = correction_check if isinstance(correction_check, (list, tuple)) else [correction_check]
        status = _combine([getattr(c, "corrected_status", None) or c.status for c in items])
    witness = check.witness if isinstance(check.witness, str) else check.witness.describe()
    return _issue(Erratum(where, printed, witness + (f"; {context}" if context else ""), correction,
                          status or Status.UNDECIDED))


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


def _dimension_free(statement: Statement, ev: Evidence) -> bool:
    """An item claiming Coverage.ALL: a check of a statement with no dimensions, or a derivation in
    which every dimension symbol of the statement is free."""
    if not statement.dimensions:
        return True
    if not isinstance(ev.item, Derivation):
        return False
    names = {str(s) for s in ev.item.free_symbols()}
    return all(dim in names for dim in statement.dimensions)


def verdict_of(statement: Statement, evidence: Sequence[Evidence]) -> tuple:
    """(verdict, explanation) from the evidence; the only place a verdict is decided."""
    by_role = {role: [e for e in evidence if e.role is role] for role in Role}
    stated = by_role[Role.STATEMENT]
    printed = _combine([e.status for e in stated])
    support = _combine([e.status for e in by_role[Role.SUPPORT]])
    if support is Status.FAILED or (support is Status.UNDECIDED and printed is not Status.FAILED):
        printed = support
    if printed is None:
        return Verdict.INCONCLUSIVE, "no evidence about the statement as printed"
    if printed is Status.FAILED:
        # the correction: explicit correction items, and the corrected chains of failed statement derivations
        corrected_items = by_role[Role.CORRECTION] + [e for e in stated if isinstance(e.item, Derivation)
                                                      and e.status is Status.FAILED and e.item.has_corrections]
        corrected = _combine([e.corrected_status for e in corrected_items])
        if corrected is not None and corrected.holds:
            strength = "proved" if corrected is Status.PROVED else "held numerically, not proved"
            return Verdict.HOLDS_AS_CORRECTED, f"the correction {strength}"
        return Verdict.REFUTED, "no correction was established"
    if printed is Status.UNDECIDED:
        return Verdict.INCONCLUSIVE, "a check could not decide"
    if printed is Status.NUMERIC:
        return Verdict.VERIFIED_NUMERICALLY, "some statement item held only numerically"
    claimed_all = [e for e in stated if e.coverage is Coverage.ALL]
    for e in claimed_all:
        if not _dimension_free(statement, e):
            raise VerifyError("coverage", e.scope, f"claims the whole scope of {statement.id} but is not a "
                              f"derivation in the dimension symbols {statement.dimensions}")
    if len(claimed_all) == len(stated):
        return Verdict.VERIFIED, "every statement item is a proof for the whole scope"
    return Verdict.VERIFIED_BOUNDED, "proved at bounded dimensions only"


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
    notes: tuple = ()
    findings: tuple = ()
    paper: str = ""
    verdict_reason: str = ""
    items: tuple = ()  # the registered item each evidence item came from (empty: the proof names none)
    runs: tuple = ()  # RunRecords of a reproduced table
    only: tuple = ()  # the items a partial check (--only) was asked for; empty for a whole check
    recomputed: str = ""  # what a partial check recomputed: "items" (only those) or "whole" (the whole proof)

    @classmethod
    def from_report(cls, statement: Statement, report: ProofReport, elapsed_s: float, paper: str = "") -> "ClaimResult":
        """Compute the verdict from the evidence (the only way a verdict is made)."""
        verdict, why = verdict_of(statement, report.evidence)
        summary = report.summary
        errata = [er for e in report.evidence if isinstance(e.item, Derivation) for er in e.item.errata]
        errata.extend(report.errata)
        return cls(statement, verdict, report.evidence, tuple(errata), summary, elapsed_s, None, report.figures,
                   report.notes, report.findings, paper, why, report.items, report.runs)

    def restricted(self, names: Sequence[str]) -> "ClaimResult":
        """This result with only the evidence items ``names`` selects (an item name, an index in the
        evidence, a check's name or a derivation's title), its verdict recomputed from them by the
        one rule (:func:`verdict_of`); errata of dropped derivations and findings are dropped too
        (errata that are not derivation steps cannot be traced to an item: they are kept only when
        every item is)."""
        names = [str(n) for n in names]

        def label(ev):
            return getattr(ev.item, "name", None) or getattr(ev.item, "title", "")

        item_of = self.items or ("",) * len(self.evidence)
        keep = [k for k, ev in enumerate(self.evidence)
                if str(k) in names or label(ev) in names or (item_of[k] and item_of[k] in names)]
        if not keep:
            known = "; ".join(f"{k}: {item_of[k] or label(ev)}" for k, ev in enumerate(self.evidence))
            raise VerifyError("--only", ",".join(names), f"names no evidence item of {self.statement.id}; known: {known}")
        evidence = tuple(self.evidence[k] for k in keep)
        report = ProofReport(evidence, f"{self.summary} [only: {', '.join(names)}]",
                             errata=self.errata_not_in_derivations() if len(keep) == len(self.evidence) else (),
                             notes=self.notes, items=tuple(item_of[k] for k in keep) if self.items else (),
                             runs=self.runs)
        res = ClaimResult.from_report(self.statement, report, self.elapsed_s, self.paper)
        return _replace(res, only=tuple(names), recomputed="whole")

    def errata_not_in_derivations(self) -> tuple:
        inside = {id(er) for e in self.evidence if isinstance(e.item, Derivation) for er in e.item.errata}
        return tuple(er for er in self.errata if id(er) not in inside)

    def figure_files(self) -> dict:
        """Each figure's path in the report (``figures/<id>-<name>.png``) mapped to its PNG bytes."""
        prefix = f"{self.paper}-" if self.paper else ""
        return {f"figures/{prefix}{self.statement.id}-{f.name}.png": f.png for f in self.figures}

    @classmethod
    def crashed(cls, statement: Statement, error: str, elapsed_s: float, paper: str = "") -> "ClaimResult":
        return cls(statement, Verdict.INCONCLUSIVE, (), (), f"the check raised an error: {error}", elapsed_s, error,
                   paper=paper, verdict_reason="the check raised an error")

    @property
    def proof_scope(self) -> str:
        """What was shown: the scopes of the statement items, with their coverage."""
        roles = (Role.STATEMENT, Role.CORRECTION) if self.verdict is Verdict.HOLDS_AS_CORRECTED else (Role.STATEMENT,)
        parts = []
        for e in self.evidence:
            scope = e.scope or (e.item.scope if isinstance(e.item, Check) else e.item.title)
            if e.role in roles and scope:
                text = ("corrected: " if e.role is Role.CORRECTION else "") + scope \
                    + (" [whole scope]" if e.coverage is Coverage.ALL and e.status is Status.PROVED else "")
                if text not in parts:
                    parts.append(text)
        text = "; ".join(parts[:6]) + (f"; and {len(parts) - 6} more" if len(parts) > 6 else "")
        return text

    def to_dict(self) -> dict:
        """The result as plain JSON data (a fresh copy each call).  It is computed once: a result is
        frozen, and printing its derivations' expressions is the costly part of writing a report
        (a report rewritten after each statement would otherwise print every expression again)."""
        cached = self.__dict__.get("_plain_cache")
        if cached is None:
            cached = self._plain()
            object.__setattr__(self, "_plain_cache", cached)
        return copy.deepcopy(cached)

    def _plain(self) -> dict:
        return {
            "id": self.statement.id,
            "paper": self.paper,
            "title": self.statement.title,
            "reference": self.statement.reference,
            "printed": self.statement.printed,
            "formula": self.statement.formula,
            "statement_scope": self.statement.scope,
            "proof_scope": self.proof_scope,
            "checked": True,
            "verdict": self.verdict.value,
            "verdict_meaning": self.verdict.description,
            "verdict_reason": self.verdict_reason,
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
            "findings": [f.to_dict() for f in self.findings],
            "evidence": [dict(e.to_dict(), item=name) for e, name in
                         zip(self.evidence, self.items or (None,) * len(self.evidence))],
            "runs": [r.to_dict() for r in self.runs],
            "only": list(self.only),
            "recomputed": self.recomputed,
            "notes": list(self.notes),
            "figures": [{"path": path, "caption": f.caption} for path, f in zip(self.figure_files(), self.figures)],
        }


def run_check(statement: Statement, build: Callable[[], ProofReport], paper: str = "") -> ClaimResult:
    """Run ``build() -> ProofReport``; an exception becomes an inconclusive result that shows it."""
    t0 = time.perf_counter()
    try:
        report = build()
        if not isinstance(report, ProofReport):
            raise VerifyError("proof", type(report).__name__, "a proof must return a ProofReport")
        return ClaimResult.from_report(statement, report, time.perf_counter() - t0, paper)
    except Exception as exc:  # noqa: BLE001 - any failure of a check is reported, not raised
        return ClaimResult.crashed(statement, f"{type(exc).__name__}: {exc}", time.perf_counter() - t0, paper)
