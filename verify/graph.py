"""A paper as a checked dependency graph (paper-free: everything is read from the :class:`Paper`).

Nodes are the paper's statements (kind ``formal``) and its informal claims (kind ``informal``:
Theorems 1-2 of an introduction, the abstract's and the conclusion's claims, see
:class:`verify.paper.Informal`).  An edge ``a -> b`` says that the proof of ``a`` uses ``b``:

- for a statement, ``Paper.uses[a]`` as declared by ``@PAPER.proof(a, uses=(...))``;
- for an informal claim, the formal results its clauses stand for.

The declarations are checkable: :func:`code_uses` reads each proof module with :mod:`ast` and
returns what its code actually uses -- imports from another statement module of the same paper,
and imports of library objects that ``Paper.establishes`` names as the result of a statement
(e.g. ``verify.numeric.loss_L1`` is Lemma 3's simplified loss (5)).  Only the statement module's
own imports count (a neutral helper module of the paper is plumbing, not mathematics).
:func:`declaration_problems` compares the two.

Verdicts of informal claims are never written by hand: :func:`derived_verdict` computes them from
their premises' verdicts:

- a premise not checked, or inconclusive -> ``inconclusive`` ("rests on X, which is not decided");
- a premise refuted -> ``inconclusive`` ("rests on a refuted premise: X");
- a premise that holds only as corrected -> ``holds_as_corrected`` ("rests on X, which holds only
  as corrected");
- otherwise the weakest of the premises' verdicts (verified > verified_bounded > verified_numerically).

:func:`mermaid` draws the graph for Markdown (GitHub renders it), :func:`svg` as an inline SVG laid
out offline (networkx layers, matplotlib's SVG backend, one link per node to its section of the
report; no script, no network, byte-stable: fixed hash salt, no date).
"""
from __future__ import annotations

import ast
import importlib
import io
import sys
from typing import Mapping, Optional

import networkx as nx

from ._errors import VerifyError
from .claims import Verdict

__all__ = ["build_graph", "code_uses", "declaration_problems", "derived_verdict", "closure", "mermaid", "svg",
           "VERDICT_COLOURS", "resolve_name"]

#: the fill colour of a node by verdict (None: not checked)
VERDICT_COLOURS = {
    "verified": "#2e7d32", "verified_bounded": "#66bb6a", "verified_numerically": "#aed581",
    "holds_as_corrected": "#ffb300", "refuted": "#c62828", "inconclusive": "#9e9e9e", None: "#ffffff",
}
_STRENGTH = [Verdict.VERIFIED, Verdict.VERIFIED_BOUNDED, Verdict.VERIFIED_NUMERICALLY]


def resolve_name(dotted: str):
    """The object named ``package.module.attr`` (or a module), or VerifyError naming the text."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            break
        return obj
    raise VerifyError("establishes", dotted, "names no importable object")


def _statement_modules(paper) -> dict:
    paper.load()
    return {fn.__module__: sid for sid, fn in paper.proofs.items()}


def _imports(module_name: str, package: str) -> list:
    """(module, name or None) for every import statement of the module's source."""
    mod = sys.modules[module_name]
    with open(mod.__file__, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), mod.__file__)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module_name if mod.__file__.endswith("__init__.py") else module_name.rsplit(".", 1)[0]
                pkg = pkg.rsplit(".", node.level - 1)[0] if node.level > 1 else pkg
                base = f"{pkg}.{base}" if base else pkg
            out += [(base, a.name) for a in node.names]
    return out


def code_uses(paper) -> dict:
    """Statement id -> sorted tuple of the statement ids its proof module's code uses (see module doc)."""
    by_module = _statement_modules(paper)
    owners = {}
    for sid, names in paper.establishes.items():
        for dotted in names:
            owners.setdefault(id(resolve_name(dotted)), set()).add(sid)
    uses = {}
    for module_name, sid in by_module.items():
        found = set()
        for base, name in _imports(module_name, paper.package):
            full = f"{base}.{name}" if name else base
            for target in (base, full):
                if target in by_module:
                    found.add(by_module[target])
            if name and name != "*":
                try:
                    obj = getattr(importlib.import_module(base), name)
                except (ImportError, AttributeError):
                    continue
                found |= owners.get(id(obj), set())
        found.discard(sid)
        uses[sid] = tuple(sorted(found))
    return uses


def declaration_problems(paper) -> list:
    """Sentences for each statement whose declared ``uses`` differ from what its code uses."""
    actual = code_uses(paper)
    problems = []
    for sid in paper.checkable_ids():
        declared, used = set(paper.uses.get(sid, ())), set(actual.get(sid, ()))
        for x in sorted(used - declared):
            problems.append(f"{paper.key}:{sid} uses {x} in its code but does not declare it")
        for x in sorted(declared - used):
            problems.append(f"{paper.key}:{sid} declares {x} but its code does not use it")
    return problems


def derived_verdict(premises: Mapping[str, Optional[Verdict]]) -> tuple:
    """(verdict, reason) of a claim that rests on ``premises`` (id -> verdict or None when not checked)."""
    if not premises:
        return Verdict.INCONCLUSIVE, "rests on no checked premise"
    vs = {k: (None if v is None else Verdict(v)) for k, v in premises.items()}
    undecided = [k for k, v in vs.items() if v is None or v is Verdict.INCONCLUSIVE]
    refuted = [k for k, v in vs.items() if v is Verdict.REFUTED]
    corrected = [k for k, v in vs.items() if v is Verdict.HOLDS_AS_CORRECTED]
    if refuted:
        return Verdict.INCONCLUSIVE, f"rests on a refuted premise: {', '.join(refuted)}"
    if undecided:
        return Verdict.INCONCLUSIVE, f"rests on {', '.join(undecided)}, which is not decided"
    if corrected:
        return Verdict.HOLDS_AS_CORRECTED, f"rests on {', '.join(corrected)}, which holds only as corrected"
    weakest = max((v for v in vs.values()), key=_STRENGTH.index)
    return weakest, f"the weakest premise is {weakest.value}"


def build_graph(paper, verdicts: Optional[Mapping[str, Optional[str]]] = None) -> nx.DiGraph:
    """The paper's graph: formal statements and informal claims, edges to what each uses; node
    attributes kind, title, reference, verdict (formal: from ``verdicts``; informal: derived) and
    reason."""
    paper.load()
    verdicts = dict(verdicts or {})
    g = nx.DiGraph(paper=paper.key)
    for s in paper.statements:
        g.add_node(s.id, kind="formal", title=s.title, reference=s.reference, verdict=verdicts.get(s.id),
                   reason="", checked=s.id in paper.proofs)
    for sid, used in paper.uses.items():
        for u in used:
            g.add_edge(sid, u)
    for c in paper.informal.values():
        g.add_node(c.id, kind="informal", title=c.title, reference=c.reference, verdict=None, reason="", checked=True)
        for _, premise in c.clauses:
            g.add_edge(c.id, premise)
    unknown = [n for n in g if "kind" not in g.nodes[n]]
    if unknown:
        raise VerifyError("uses", unknown, f"names no statement or informal claim of {paper.key}")
    if not nx.is_directed_acyclic_graph(g):
        raise VerifyError("uses", nx.find_cycle(g), f"the dependencies of {paper.key} have a cycle")
    for n in reversed(list(nx.lexicographical_topological_sort(g))):
        if g.nodes[n]["kind"] == "informal":
            v, why = derived_verdict({p: g.nodes[p]["verdict"] for p in sorted(g.successors(n))})
            g.nodes[n].update(verdict=v.value, reason=why)
    return g


def closure(g: nx.DiGraph, node: str) -> list:
    """What ``node`` rests on, transitively: ids in dependency order (premises first), without it."""
    if node not in g:
        raise VerifyError("statement id", node, f"is not a node of {g.graph.get('paper')}'s graph")
    below = nx.descendants(g, node)
    return [n for n in reversed(list(nx.lexicographical_topological_sort(g))) if n in below]


def _label(text: str) -> str:
    return text.replace('"', "'").replace("[", "(").replace("]", ")")


def mermaid(g: nx.DiGraph) -> str:
    """Mermaid source (``graph BT``: premises below): one node per statement, coloured by verdict."""
    lines = ["graph BT"]
    for n in sorted(g):
        a = g.nodes[n]
        shape = ('(["', '"])') if a["kind"] == "informal" else ('["', '"]')
        verdict = a["verdict"] or "not checked"
        lines.append(f"  {n}{shape[0]}{n}: {_label(a['title'])}<br/>{verdict}{shape[1]}")
    for a, b in sorted(g.edges):
        lines.append(f"  {b} --> {a}")
    for v, colour in VERDICT_COLOURS.items():
        name = v or "unchecked"
        lines.append(f"  classDef {name} fill:{colour},stroke:#333,color:{'#fff' if v in ('verified', 'refuted') else '#000'}")
    for v in VERDICT_COLOURS:
        members = sorted(n for n in g if g.nodes[n]["verdict"] == v)
        if members:
            lines.append(f"  class {','.join(members)} {v or 'unchecked'}")
    return "\n".join(lines)


def _layers(g: nx.DiGraph) -> dict:
    """Position: layer = the longest chain of premises below a node; order within a layer by id."""
    depth = {}
    for n in reversed(list(nx.lexicographical_topological_sort(g))):
        depth[n] = 1 + max((depth[m] for m in g.successors(n)), default=-1)
    pos = {}
    for level in sorted(set(depth.values())):
        row = sorted(n for n in depth if depth[n] == level)
        for k, n in enumerate(row):
            pos[n] = (k - (len(row) - 1) / 2, level)
    return pos


def svg(g: nx.DiGraph, href=lambda node: f"#{node}") -> str:
    """The graph as an inline SVG document (no XML prolog), each node a link to ``href(node)``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pos = _layers(g)
    width = max(6.0, 1.6 * max(sum(1 for p in pos.values() if p[1] == y) for y in {p[1] for p in pos.values()}))
    height = 1.3 * (1 + max(p[1] for p in pos.values())) if pos else 2
    with matplotlib.rc_context({"svg.hashsalt": "vae-verify", "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(width, height))
        nodes = sorted(g)
        nx.draw_networkx_edges(g, pos, ax=ax, edgelist=sorted(g.edges), arrows=True, arrowstyle="-|>",
                               edge_color="#777", node_size=1400)
        coll = nx.draw_networkx_nodes(g, pos, ax=ax, nodelist=nodes, node_size=1400, edgecolors="#333",
                                      node_color=[VERDICT_COLOURS.get(g.nodes[n]["verdict"], "#fff") for n in nodes],
                                      node_shape="o")
        coll.set_urls([href(n) for n in nodes])
        for n in nodes:
            t = ax.text(*pos[n], n, ha="center", va="center", fontsize=7)
            t.set_url(href(n))
        ax.set_axis_off()
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
        plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]
