"""Papers as plug-ins: a :class:`Paper` holds a paper's citation, sections, statements, the proofs
that check them and its experiments; the :data:`registry` holds the papers.

A paper is a Python package (for example ``proofs/koehler2022/``) whose ``__init__`` makes a
:class:`Paper` and whose modules register their proofs and experiments with decorators::

    PAPER = Paper("koehler2022", title=..., citation=..., package=__name__, sections=..., statements=[...])

    @PAPER.proof("lemma5", uses=("lemma3",))
    def check() -> ProofReport: ...

    @PAPER.experiment("table1", statement="table1", options=(Option("--steps", int, 100_000, "..."),))
    def reproduce(options: dict) -> ProofReport: ...

A proof may be made of **named items**, each registered with :meth:`Paper.item` and built by a
function of no arguments that returns its evidence (one :class:`Evidence` or several)::

    @PAPER.item("theorem5", "flow-3")
    def flow_3(): return Evidence(Role.STATEMENT, flow_check(3), scope="...")

    @PAPER.proof("theorem5")
    def check() -> ProofReport:
        items = PAPER.evaluate("theorem5")            # every item, in registration order
        return ProofReport.from_items(items, summary=...)

Then ``vae-verify check theorem5 --only flow-3`` (:meth:`Paper.check` with ``only``) evaluates only
that item's builder, not the proof and not the other items; its verdict comes from that item's
evidence by the one rule (:func:`verify.claims.verdict_of`).  For a statement without items,
``--only`` runs the whole proof and keeps the named evidence (``ClaimResult.recomputed`` says which).

The package is announced to vae-verify by an entry point in the group ``vae_verify.papers``
(``setup.cfg``); nothing in ``verify/`` names a paper.  :meth:`Paper.load` imports every module of
the package once, so a module registers itself by being there: no list of module names to keep in
step with the modules.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from ._errors import VerifyError
from .claims import ClaimResult, Evidence, Items, ProofReport, Statement, run_check

__all__ = ["Paper", "Experiment", "Option", "Informal", "Registry", "registry", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "vae_verify.papers"


@dataclass(frozen=True)
class Option:
    """A command-line option of an experiment (``vae-verify reproduce NAME --flag VALUE``).

    ``minimum``/``maximum`` bound numbers; ``parse`` turns the text into the value (default: ``type``)
    and raises :class:`VerifyError` naming the flag.  Everything is validated before any work.
    """

    flag: str
    type: Callable
    default: Any
    help: str
    choices: tuple = ()
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    parse: Optional[Callable] = None

    def __post_init__(self):
        if not self.flag.startswith("--"):
            raise VerifyError("flag", self.flag, "an option flag starts with --")

    @property
    def dest(self) -> str:
        return self.flag[2:].replace("-", "_")


@dataclass(frozen=True)
class Experiment:
    """An experiment of a paper that ``vae-verify reproduce`` reruns; ``run(options)`` returns the
    :class:`ProofReport` of ``statement``."""

    name: str
    statement: str
    description: str
    options: tuple
    run: Callable[[dict], ProofReport]


@dataclass(frozen=True)
class Informal:
    """An informal claim of a paper (a theorem of the introduction, a claim of the abstract or of the
    conclusion): no proof of its own, its verdict is derived from the formal results its clauses
    stand for (:func:`verify.graph.derived_verdict`).

    ``clauses`` pairs each clause of the informal wording with the id of the statement (or of another
    informal claim) that is its formal counterpart; ``leaves_out`` says what the informal wording
    leaves out or gets wrong compared with the formal checks."""

    id: str
    title: str
    reference: str
    printed: str
    clauses: tuple  # ((clause text, premise id), ...)
    leaves_out: str = ""

    def __post_init__(self):
        if not self.id.isidentifier():
            raise VerifyError("id", self.id, "an informal claim id must be an identifier")
        if not self.clauses:
            raise VerifyError("clauses", self.clauses, f"informal claim {self.id} names no formal premise")


@dataclass(eq=False)  # papers compare (and hash) by identity
class Paper:
    """A paper: what it is, its sections in order, its statements in paper order, and (once loaded)
    the proof of each statement it checks and its experiments."""

    key: str
    title: str
    citation: str
    package: str
    sections: tuple  # ((name, printed title), ...), e.g. (("Section 4", "VAE Landscape Analysis"), ...)
    statements: Sequence[Statement]
    proofs: dict = field(default_factory=dict)  # statement id -> check() -> ProofReport
    uses: dict = field(default_factory=dict)  # statement id -> ids of the statements its proof uses
    experiments: dict = field(default_factory=dict)  # name -> Experiment
    # statement id -> dotted names of the library objects that implement its result (verify.graph.code_uses)
    establishes: dict = field(default_factory=dict)
    informal: dict = field(default_factory=dict)  # id -> Informal (registered with Paper.informal_claim)
    items: dict = field(default_factory=dict)  # statement id -> {item name: builder () -> Evidence | [Evidence]}
    # statement id -> the name of a computation its proof shares, memoised, with other statements'
    # proofs (e.g. "flow_cases"): a report checks statements that share one in the same process
    shares: dict = field(default_factory=dict)
    main: bool = False  # the paper whose short ids need no qualification (exactly one should say so)
    _loaded: bool = False

    def __post_init__(self):
        if not self.key.isidentifier():
            raise VerifyError("key", self.key, "a paper key must be an identifier")
        ids = [s.id for s in self.statements]
        if len(set(ids)) != len(ids):
            raise VerifyError("statements", ids, "statement ids must be unique within a paper")
        self.statements = tuple(self.statements)
        self._by_id = {s.id: s for s in self.statements}

    # ---- declaration ---------------------------------------------------------------------------
    def statement(self, statement_id: str) -> Statement:
        """The statement with this id; an unknown id is a VerifyError listing the known ones."""
        try:
            return self._by_id[statement_id]
        except KeyError:
            raise VerifyError("statement id", statement_id,
                              f"unknown in {self.key}; known ids: {', '.join(self._by_id)}") from None

    def proof(self, statement_id: str, *, uses: Sequence[str] = (), shares: Optional[str] = None) -> Callable:
        """Decorator: register ``check() -> ProofReport`` as the proof of ``statement_id``.

        ``uses``: the statements its proof rests on (checked against the module's imports).
        ``shares``: the name of a memoised computation this proof shares with other proofs (the
        same name on each); the report checks those statements one after the other in one worker
        process, so the shared work is done once.
        """
        self.statement(statement_id)
        if shares is not None and (not isinstance(shares, str) or not shares.isidentifier()):
            raise VerifyError("shares", shares, "must be the name (an identifier) of a shared computation")

        def register(fn: Callable[[], ProofReport]):
            if statement_id in self.proofs and self.proofs[statement_id] is not fn:
                raise VerifyError("statement id", statement_id, f"{self.key} already has a proof of it")
            self.proofs[statement_id] = fn
            self.uses[statement_id] = tuple(uses)
            if shares is not None:
                self.shares[statement_id] = shares
            return fn

        return register

    def item(self, statement_id: str, name: str) -> Callable:
        """Decorator: register ``build() -> Evidence | Sequence[Evidence]`` as the evidence item
        ``name`` of ``statement_id``'s proof (evaluated by :meth:`evaluate`, alone by ``--only name``)."""
        self.statement(statement_id)
        if not isinstance(name, str) or not name or name.isdigit() or any(c in name for c in " ,:"):
            raise VerifyError("item name", name, "must be a non-empty name without spaces, commas or colons, "
                              "not a number (numbers are evidence indices)")

        def register(fn: Callable):
            known = self.items.setdefault(statement_id, {})
            if name in known and known[name] is not fn and getattr(known[name], "__qualname__", None) != fn.__qualname__:
                raise VerifyError("item name", name, f"{self.key}:{statement_id} already has an item with this name")
            known[name] = fn
            return fn

        return register

    def item_names(self, statement_id: str) -> tuple:
        """The names of ``statement_id``'s registered items, in order (empty: its proof has none)."""
        self.load()
        return tuple(self.items.get(statement_id, {}))

    def evaluate(self, statement_id: str, only: Optional[Sequence[str]] = None) -> Items:
        """Build the evidence of ``statement_id``'s registered items (all, or the ``only`` ones): name ->
        tuple of Evidence, in registration order.  Only the builders asked for are called."""
        builders = self.items.get(statement_id, {})
        if not builders:
            raise VerifyError("statement id", statement_id, f"has no registered items in {self.key}")
        wanted = list(builders) if only is None else list(dict.fromkeys(only))
        unknown = [n for n in wanted if n not in builders]
        if unknown:
            raise VerifyError("--only", ",".join(unknown), f"names no item of {self.key}:{statement_id}; known: "
                              f"{', '.join(builders)}")
        out = Items()
        for name in builders:
            if name in wanted:
                got = builders[name]()
                evs = (got,) if isinstance(got, Evidence) else tuple(got)
                if not evs or not all(isinstance(e, Evidence) for e in evs):
                    raise VerifyError(f"item {name}", type(got).__name__, "must build one Evidence or a non-empty "
                                      "sequence of them")
                out[name] = evs
        return out

    def informal_claim(self, claim: "Informal") -> "Informal":
        """Register an informal claim; its id must not be a statement id."""
        if claim.id in self._by_id or self.informal.get(claim.id, claim) != claim:
            raise VerifyError("id", claim.id, f"{self.key} already has a statement or informal claim with this id")
        self.informal[claim.id] = claim
        return claim

    def experiment(self, name: str, *, statement: str, description: str, options: Sequence[Option] = ()) -> Callable:
        """Decorator: register ``run(options: dict) -> ProofReport`` as an experiment."""
        self.statement(statement)

        def register(fn):
            self.experiments[name] = Experiment(name, statement, description, tuple(options), fn)
            return fn

        return register

    # ---- use ------------------------------------------------------------------------------------
    def load(self) -> "Paper":
        """Import every module of the paper's package once (each registers its proofs)."""
        if not self._loaded:
            pkg = importlib.import_module(self.package)
            for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{self.package}."):
                importlib.import_module(info.name)
            self._loaded = True
        return self

    def checkable_ids(self) -> list:
        self.load()
        return [s.id for s in self.statements if s.id in self.proofs]

    def check(self, statement_id: str, only: Optional[Sequence[str]] = None) -> ClaimResult:
        """Run the proof of ``statement_id`` and return its verdict with the evidence.

        ``only``: item names (or, for a statement without registered items, evidence indices,
        check names or derivation titles).  With registered items only the named builders run
        (``recomputed == "items"``); without, the whole proof runs and only the named evidence is
        kept (``recomputed == "whole"``).  Either way the verdict is computed from the kept evidence."""
        from dataclasses import replace

        s = self.statement(statement_id)
        self.load()
        if s.id not in self.proofs:
            raise VerifyError("statement id", statement_id, f"is not checked yet in {self.key}")
        if only is None:
            return run_check(s, self.proofs[s.id], paper=self.key)
        only = tuple(str(n) for n in only)
        if not only:
            raise VerifyError("--only", "", "names no item")
        if s.id not in self.items:
            res = run_check(s, self.proofs[s.id], paper=self.key)
            return res if res.error else res.restricted(only)
        names = self.item_names(s.id)
        unknown = [n for n in only if n not in names]
        if unknown:
            raise VerifyError("--only", ",".join(unknown), f"names no item of {self.key}:{s.id}; known: {', '.join(names)}")
        summary = (f"Recomputed only item(s) {', '.join(only)} of the proof of {s.id}; the other items, the full "
                   "proof's summary, figures and findings were not recomputed.")
        res = run_check(s, lambda: ProofReport.from_items(self.evaluate(s.id, only), summary), paper=self.key)
        return replace(res, only=only, recomputed="items")


class Registry:
    """The papers vae-verify knows: those announced by entry points, in the order found (the paper
    marked ``main`` first), plus any registered in code (a test's fixture paper)."""

    def __init__(self):
        self._papers: Optional[dict] = None
        self._announced: Optional[dict] = None

    def announced(self, paper: Paper) -> bool:
        """Whether ``paper`` is the one its entry point announces (so a fresh worker process, which
        finds papers by entry point, finds this same paper); False for a paper registered in code."""
        if self._announced is None:
            self._announced = self._discover()
        return self._announced.get(paper.key) is paper

    def _discover(self) -> dict:
        papers = {}
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            paper = ep.load()
            if not isinstance(paper, Paper):
                raise VerifyError(f"entry point {ep.name}", ep.value, "must name a Paper")
            papers[paper.key] = paper
        # the main paper first, then the others by key
        return dict(sorted(papers.items(), key=lambda kv: (not kv[1].main, kv[0])))

    @property
    def papers(self) -> dict:
        if self._papers is None:
            if self._announced is None:
                self._announced = self._discover()
            self._papers = dict(self._announced)
        return self._papers

    def register(self, paper: Paper) -> Paper:
        if paper.key in self.papers and self.papers[paper.key] is not paper:
            raise VerifyError("paper", paper.key, "a different paper with this key is registered")
        self.papers[paper.key] = paper
        return paper

    @contextlib.contextmanager
    def only(self, *papers: Paper):
        """Within the block, the registry holds exactly ``papers`` (for tests)."""
        saved = self._papers
        self._papers = {p.key: p for p in papers}
        try:
            yield self
        finally:
            self._papers = saved

    def paper(self, key: str) -> Paper:
        try:
            return self.papers[key]
        except KeyError:
            raise VerifyError("paper", key, f"unknown; known papers: {', '.join(self.papers) or 'none'}") from None

    @property
    def main(self) -> Paper:
        """The paper whose short ids need no qualification: the one marked ``main`` (else the first)."""
        if not self.papers:
            raise VerifyError("paper", None, f"no paper is registered (entry point group {ENTRY_POINT_GROUP})")
        return next((p for p in self.papers.values() if p.main), next(iter(self.papers.values())))

    def resolve(self, qualified_id: str) -> tuple:
        """``"paper:id"`` or a short id -> (Paper, Statement).  A short id is looked up in the main
        paper first, then in the others when it is unique there."""
        if ":" in qualified_id:
            key, sid = qualified_id.split(":", 1)
            paper = self.paper(key)
            return paper, paper.statement(sid)
        if qualified_id in self.main._by_id:
            return self.main, self.main.statement(qualified_id)
        hits = [p for p in self.papers.values() if qualified_id in p._by_id]
        if len(hits) == 1:
            return hits[0], hits[0].statement(qualified_id)
        known = ", ".join(f"{p.key}:{s.id}" for p in self.papers.values() for s in p.statements)
        why = "ambiguous: qualify it as paper:id" if hits else "unknown"
        raise VerifyError("statement id", qualified_id, f"{why}; known ids: {known}")

    def qualified(self, paper: Paper, statement_id: str) -> str:
        return statement_id if paper is self.main else f"{paper.key}:{statement_id}"

    def experiment(self, name: str) -> tuple:
        """``"paper:name"`` or a short name -> (Paper, Experiment)."""
        key, _, short = name.rpartition(":")
        candidates = [self.paper(key)] if key else list(self.papers.values())
        for paper in candidates:
            paper.load()
            if short in paper.experiments:
                return paper, paper.experiments[short]
        known = [f"{p.key}:{e}" for p in self.papers.values() for e in p.load().experiments]
        raise VerifyError("experiment", name, f"unknown; known experiments: {', '.join(known) or 'none'}")


#: The registry every command uses.
registry = Registry()
