"""Verdicts and derivations to ``report.json`` and ``report.md`` (the HTML page is :mod:`verify.html`).

JSON schema (``schema_version`` 3) -- also documented in the README.  ``report.json`` is
deterministic: the same code, profile and seeds give the same bytes.  Wall-clock times and the
timestamp are in ``timings.json`` beside it: {"generated": ISO-8601 UTC time, "elapsed_s": float,
"statements": {"<paper>:<id>": {"elapsed_s": float, "evidence": [elapsed_s of each derivation | null]}}}.

    {
      "schema_version": 3, "tool": "vae-verify", "version": str, "code_version": sha256 of the sources of
      verify/ and of the papers' packages (16 hex digits),
      "papers": [{"key", "title", "citation", "sections": [[name, printed title], ...],
                  "graph": {"nodes": [{"id", "kind": formal | informal, "title", "reference", "verdict",
                                       "reason"}], "edges": [[claim, premise], ...]},
                  "claims": [{"id", "kind", "title", "reference", "printed", "verdict", "verdict_reason",
                              "checked_by": [ids], "clauses": [[clause, premise id]], "leaves_out"}]}],
      "complete": bool, "hypothesis_profile": str,
      "verdict_legend": {verdict: meaning},
      "statements": [
        {"id": str, "paper": paper key, "title", "reference", "printed", "formula": LaTeX str,
         "statement_scope": str, "proof_scope": str, "checked": bool,
         "verdict": verified | verified_bounded | verified_numerically | refuted | holds_as_corrected |
                    inconclusive, or null when not checked yet,
         "verdict_meaning": str, "verdict_reason": str, "summary": str, "error": str | null,
         "uses": [statement ids its proof uses],
         "provenance": {"check": module.function, "paper", "code_version", "hypothesis_profile",
                        "command": the command that recomputes it alone, "items": [registered item names],
                        "only_recomputes": what --only recomputes for this statement},
         "errata": [{"where", "printed", "witness", "correction", "correction_status"}],
         "findings": [{"kind", "title", "text", "witness", "method"}],
         "figures": [{"path": "figures/<paper>-<id>-<name>.png", "caption": str}],
         "notes": [markdown str],
         "evidence": [
           {"role": statement | support | correction | proof, "kind": "derivation" | "check",
            "scope": str, "coverage": all | bounded,
            "status": proved | numerically_verified | failed | undecided,
            # derivation: ("status" is the derivation as printed, "corrected_status" with its corrections)
            "title", "start", "start_latex", "start_reason", "corrected_status",
            "steps": [{"index", "relation", "expression", "latex", "reason", "source", "status",
                       "method", "worst_error", "witness", "constant", "note"}],
            # check:
            "name", "method", "worst_error", "witness", "details",
            # both:
            "item": the name of the registered item it came from, or null,
            "provenance": {"statement": "<paper>:<id>", "item": item name (else its index), "index",
                           "builder": module.function of the item (named items only), "command": the
                           command that recomputes it, "recomputes": what that command recomputes}}],
         "runs": [{"table", "label", "parameters": {...}, "seed", "cached": bool, "cache_key", "command",
                   "recomputes"}]  (a reproduced table: one per run),
         "only": [the items a partial check was asked for], "recomputed": "" | "items" | "whole"}
      ]
    }
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from pathlib import Path
from typing import Sequence

from ._errors import VerifyError
from .claims import VERDICT_LEGEND, Statement
from .paper import Paper

__all__ = ["FORMATS", "SCHEMA_VERSION", "report_dict", "split_timings", "code_version", "render_markdown", "statement_markdown", "write_report",
           "write_figures", "figure_files", "ensure_writable", "statements_table", "runs_markdown", "cache_line"]

SCHEMA_VERSION = 3
#: the keys that hold wall-clock measurements: moved from report.json into timings.json
TIMING_KEYS = ("generated", "elapsed_s")
FORMATS = ("md", "html")


def _not_checked(paper: Paper, s: Statement, why: str) -> dict:
    return {"id": s.id, "paper": paper.key, "title": s.title, "reference": s.reference, "printed": s.printed,
            "formula": s.formula, "statement_scope": s.scope, "proof_scope": "", "checked": False,
            "verdict": None, "verdict_meaning": why, "verdict_reason": "", "summary": why,
            "elapsed_s": 0.0, "error": None, "errata": [], "findings": [], "evidence": [], "figures": [], "notes": []}


def report_dict(papers: Sequence[Paper], results: dict, elapsed_s: float, complete: bool,
                only: Sequence = None) -> dict:
    """The JSON document: for each paper, one entry per statement in paper order.

    ``results`` maps (paper key, statement id) to a ClaimResult; ``only`` (a set of such pairs)
    restricts the entries to those statements (``vae-verify check``)."""
    from . import __version__
    from .strategies import active_profile

    entries = []
    for paper in papers:
        for s in paper.statements:
            key = (paper.key, s.id)
            if only is not None and key not in only:
                continue
            if key in results:
                entries.append(results[key].to_dict())
            elif s.id not in paper.load().proofs:
                entries.append(_not_checked(paper, s, "not yet checked: no proof module"))
            else:
                entries.append(_not_checked(paper, s, "not reached: the run stopped before this statement"))
    version = code_version(papers)
    profile = active_profile()
    for e in entries:
        _add_provenance(e, registry_paper(papers, e["paper"]), version, profile)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "vae-verify",
        "version": __version__,
        "code_version": version,
        "papers": [{"key": p.key, "title": p.title, "citation": p.citation, "sections": [list(x) for x in p.sections],
                    **_graph_dict(p, entries)} for p in papers],
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "elapsed_s": round(elapsed_s, 3),
        "complete": complete,
        "hypothesis_profile": active_profile(),
        "verdict_legend": dict(VERDICT_LEGEND),
        "statements": entries,
    }


def code_version(papers: Sequence[Paper]) -> str:
    """A hash of the source of ``verify/`` and of the papers' packages (every .py file, by relative
    path and content): two reports with the same code_version were made by the same code."""
    import hashlib
    import importlib

    h = hashlib.sha256()
    roots = [Path(__file__).parent] + [Path(next(iter(importlib.import_module(p.package).__path__))) for p in papers]
    for root in dict.fromkeys(roots):
        for path in sorted(root.rglob("*.py")):
            h.update(f"{root.name}/{path.relative_to(root).as_posix()}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def registry_paper(papers: Sequence[Paper], key: str) -> Paper:
    return next(p for p in papers if p.key == key)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(str(text))


def _add_provenance(e: dict, paper: Paper, version: str, profile: str) -> None:
    """Where the entry and each of its evidence items came from, and the command that recomputes it.

    An item of a proof made of registered items (:meth:`verify.paper.Paper.item`) is recomputed alone
    by ``--only NAME`` ("recomputes": "this item only"); any other is selected by its index, and the
    command reruns the whole proof ("recomputes" says so)."""
    sid, key = e["id"], paper.key
    fn = paper.proofs.get(sid)
    e["uses"] = list(paper.uses.get(sid, ()))
    names = paper.item_names(sid) if e.get("checked") else ()
    e["provenance"] = {"check": f"{fn.__module__}.{fn.__qualname__}" if fn else None, "paper": key,
                       "code_version": version, "hypothesis_profile": profile,
                       "command": f"vae-verify check {key}:{sid} --profile {profile}",
                       "items": list(names),
                       "only_recomputes": "the named items alone (the proof is made of registered items)" if names
                       else "the whole proof (its items are not registered separately); only the named items are "
                            "reported"}
    for k, ev in enumerate(e["evidence"]):
        name = ev.get("item")
        builder = paper.items.get(sid, {}).get(name) if name else None
        if builder is not None:
            ev["provenance"] = {"statement": f"{key}:{sid}", "item": name, "index": k,
                                "builder": f"{builder.__module__}.{builder.__qualname__}",
                                "command": f"vae-verify check {key}:{sid} --only {_quote(name)} --profile {profile}",
                                "recomputes": f"item {name} alone"}
        else:
            ev["provenance"] = {"statement": f"{key}:{sid}", "item": k, "index": k,
                                "command": f"vae-verify check {key}:{sid} --only {k} --profile {profile}",
                                "recomputes": f"the whole proof of {sid}; reports item {k}"}


def _graph_dict(paper: Paper, entries: list) -> dict:
    """The paper's dependency graph (verify.graph) and the table of every claim, informal included."""
    from .graph import build_graph

    mine = {e["id"]: e for e in entries if e["paper"] == paper.key}
    g = build_graph(paper, {sid: e["verdict"] for sid, e in mine.items()})
    nodes = [{"id": n, "kind": g.nodes[n]["kind"], "title": g.nodes[n]["title"],
              "reference": g.nodes[n]["reference"], "verdict": g.nodes[n]["verdict"], "reason": g.nodes[n]["reason"]}
             for n in sorted(g)]
    claims = []
    for s in paper.statements:
        e = mine.get(s.id)
        claims.append({"id": s.id, "kind": "formal", "title": s.title, "reference": s.reference, "printed": s.printed,
                       "verdict": e["verdict"] if e else None, "verdict_reason": e["verdict_reason"] if e else "",
                       "checked_by": [s.id] if s.id in paper.proofs else [], "clauses": [], "leaves_out": ""})
    for c in paper.informal.values():
        claims.append({"id": c.id, "kind": "informal", "title": c.title, "reference": c.reference, "printed": c.printed,
                       "verdict": g.nodes[c.id]["verdict"], "verdict_reason": g.nodes[c.id]["reason"],
                       "checked_by": sorted({p for _, p in c.clauses}), "clauses": [list(x) for x in c.clauses],
                       "leaves_out": c.leaves_out})
    return {"graph": {"nodes": nodes, "edges": [list(x) for x in sorted(g.edges)]}, "claims": claims}


def split_timings(doc: dict) -> tuple:
    """(report without wall-clock fields, timings.json document): report.json is then deterministic."""
    import copy

    clean = copy.deepcopy(doc)
    timings = {k: clean.pop(k) for k in TIMING_KEYS if k in clean}
    timings["statements"] = {}
    for e in clean.get("statements", []):
        timings["statements"][f"{e['paper']}:{e['id']}"] = {
            "elapsed_s": e.pop("elapsed_s", None),
            "evidence": [ev.pop("elapsed_s", None) for ev in e.get("evidence", [])]}
    return clean, timings


def _fmt_err(x) -> str:
    return "" if x is None else f"{x:.1e}"


def _cell(text: str, limit: int = 160) -> str:
    text = str(text).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def anchor(e: dict) -> str:
    """The HTML/Markdown anchor of a statement entry: ``<paper>-<id>``."""
    return f"{e['paper']}-{e['id']}"


def _recompute(ev: dict) -> str:
    """' (recompute: `command`, what it recomputes)' for an evidence item with provenance, else ''."""
    pv = ev.get("provenance")
    if not pv:
        return ""
    return f" _(item {pv['item']}; recompute: `{pv['command']}`" + (f", {pv['recomputes']}" if pv.get("recomputes") else "") + ")_"


def statement_markdown(e: dict, figures: bool = True) -> list:
    """The markdown lines of one statement's entry (a ``ClaimResult.to_dict()``); ``figures=False``
    leaves out the links to figure files (a notebook shows the images themselves)."""
    out = [f'<a id="{anchor(e)}"></a>', "", f"## {e['id']}", "", f"**{e['title']}** ({e['reference']})", "",
           f"> {e['printed']}", ""]
    if not e["checked"]:
        out += [f"_{e['summary']}_", ""]
        return out
    out += [f"**Verdict: {e['verdict']}** ({e['verdict_meaning']}); {e['elapsed_s']:.1f} s", "",
            f"- **Scope of the statement:** {e['statement_scope'] or 'as printed'}",
            f"- **Scope of what was shown:** {e['proof_scope'] or 'see the evidence'}", "",
            e["summary"], ""]
    if e["error"]:
        out += [f"Error: `{e['error']}`", ""]
    if e.get("provenance"):
        pv = e["provenance"]
        out += [f"_Rests on: {', '.join(e.get('uses') or []) or 'nothing else in the paper'}. Recompute: "
                f"`{pv['command']}` (check `{pv['check']}`, code version `{pv['code_version']}`)._", ""]
    for note in e.get("notes", []):
        out += [note, ""]
    out += runs_markdown(e)
    for fig in (e.get("figures", []) if figures else []):
        out += [f"![{fig['caption']}]({fig['path']})", "", f"_{fig['caption']}_", ""]
    if e["errata"]:
        out += ["### Errata", ""]
        for x in e["errata"]:
            out += [f"- **{x['where']}**: printed `{_cell(x['printed'], 300)}`",
                    f"  - witness: {x['witness']}",
                    f"  - correction: {x['correction']} ({x['correction_status']})"]
        out.append("")
    if e.get("findings"):
        out += ["### Findings (beyond the paper)", ""]
        for f in e["findings"]:
            out += [f"- **{f['title']}** ({f['kind']}): {f['text']}", f"  - witness: {f['witness']}",
                    f"  - how it was found: {f['method']}"]
        out.append("")
    out += ["### Evidence", ""]
    for ev in e["evidence"]:
        cover = " (whole scope)" if ev.get("coverage") == "all" else ""
        if ev["kind"] == "check":
            out += [f"- check **{ev['name']}** [{ev['role']}, {ev['scope']}{cover}]: {ev['status']}; "
                    f"{ev['method']}; worst error {_fmt_err(ev['worst_error'])}"
                    + (f"; witness: {ev['witness']}" if ev["witness"] else "")
                    + (f"; {ev['details']}" if ev["details"] else "") + _recompute(ev), ""]
            continue
        is_open = " open" if ev["status"] == "failed" else ""
        out += [f"<details{is_open}><summary><b>{ev['title']}</b> [{ev['role']}{cover}]: {ev['status']} "
                f"({len(ev['steps'])} step(s))</summary>", "",
                f"Start: `{_cell(ev['start'], 300)}` -- {ev['start_reason']}{_recompute(ev)}", "",
                "| # | rel | expression | reason | source | status | method | worst error (inequality: worst excess) |",
                "|---|---|---|---|---|---|---|---|"]
        for st in ev["steps"]:
            extra = ""
            if st["witness"]:
                extra = f" **witness:** {_cell(st['witness'], 400)}"
            if st["constant"]:
                extra += f" constant: `{st['constant']}`"
            if st.get("note"):
                extra += f" _{_cell(st['note'], 300)}_"
            out.append(f"| {st['index']} | {st['relation']} | `{_cell(st['expression'])}` | {_cell(st['reason'], 200)}"
                       f"{extra} | {st['source']} | {st['status']} | {_cell(st['method'], 600)} | "
                       f"{_fmt_err(st['worst_error'])} |")
        out += ["", "</details>", ""]
    return out


def cache_line(e: dict) -> str:
    """One sentence on where a reproduced table's runs came from ('' when it has none)."""
    runs = e.get("runs") or []
    if not runs:
        return ""
    hits = [r for r in runs if r["cached"]]
    keys = sorted({r["cache_key"] for r in hits})
    if len(hits) == len(runs):
        head = f"All {len(runs)} runs of this table were read from the run cache"
    elif hits:
        head = f"{len(hits)} of the {len(runs)} runs of this table were read from the run cache, the others computed now"
    else:
        return f"All {len(runs)} runs of this table were computed for this report (none came from the run cache)."
    shown = ", ".join(f"`{k}`" for k in keys[:4]) + (f" and {len(keys) - 4} more" if len(keys) > 4 else "")
    return f"{head} (cache key(s) {shown}; each run's key and recompute command are below and in report.json)."


def runs_markdown(e: dict) -> list:
    """A reproduced table's runs: parameters, seed, cache or computed, cache key, the command that recomputes it."""
    runs = e.get("runs") or []
    if not runs:
        return []
    out = [f"**Provenance of the table.** {cache_line(e)}", "",
           f"<details><summary>The {len(runs)} runs (parameters, seed, source, cache key, command)</summary>", "",
           "| table | run | seed | source | cache key | parameters | recompute |", "|---|---|---|---|---|---|---|"]
    for r in runs:
        params = ", ".join(f"{k}={v}" for k, v in sorted(r["parameters"].items()))
        out.append(f"| {r['table']} | {_cell(r['label'], 80)} | {r['seed']} | {'cache' if r['cached'] else 'computed'} "
                   f"| `{r['cache_key']}` | {_cell(params, 300)} | `{r['command']}`"
                   + (f" ({_cell(r['recomputes'], 120)})" if r.get("recomputes") else "") + " |")
    return out + ["", "</details>", ""]


def _graph_of(paper_doc: dict):
    import networkx as nx

    g = nx.DiGraph(paper=paper_doc["key"])
    for n in paper_doc.get("graph", {}).get("nodes", []):
        g.add_node(n["id"], **{k: v for k, v in n.items() if k != "id"})
    g.add_edges_from(tuple(x) for x in paper_doc.get("graph", {}).get("edges", []))
    return g


def graph_markdown(paper_doc: dict) -> list:
    """The dependency graph as a Mermaid block (GitHub renders it): an arrow from a premise to the
    claim whose proof uses it; rounded nodes are informal claims; colours are verdicts."""
    from .graph import mermaid

    if not paper_doc.get("graph", {}).get("nodes"):
        return []
    return ["## What rests on what", "", "An arrow goes from a result to each claim whose proof uses it "
            "(declared with `uses=` and checked against the proof modules' imports); rounded nodes are the "
            "informal claims, whose verdicts are derived from their premises.", "",
            "```mermaid", mermaid(_graph_of(paper_doc)), "```", ""]


def claims_markdown(paper_doc: dict, entries: list) -> list:
    """The table of every claim the paper makes, informal included, and where each one is checked."""
    claims = paper_doc.get("claims", [])
    if not claims:
        return []
    out = ["## Every claim of the paper", "",
           "| claim | kind | where in the paper | verdict | checked by | what the wording leaves out |",
           "|---|---|---|---|---|---|"]
    ids = {e["id"] for e in entries}
    for c in claims:
        by = ", ".join(f"[{x}](#{paper_doc['key']}-{x})" if x in ids else x for x in c["checked_by"]) or "not checked"
        verdict = c["verdict"] or "not checked"
        if c["kind"] == "informal":
            verdict += f" ({c['verdict_reason']})"
        out.append(f"| {c['id']} | {c['kind']} | {_cell(c['reference'], 80)} | **{_cell(verdict, 120)}** | {by} "
                   f"| {_cell(c['leaves_out'], 300)} |")
    return out + [""]


def legend_markdown(doc: dict) -> list:
    return ["| verdict | meaning |", "|---|---|"] + [f"| `{k}` | {v} |" for k, v in doc["verdict_legend"].items()]


def render_markdown(doc: dict) -> str:
    """Human-readable report: per paper a summary table, then each statement with its evidence."""
    out = ["# vae-verify report", "",
           f"Generated {doc['generated']} by vae-verify {doc['version']} in {doc['elapsed_s']:.1f} s"
           + ("" if doc["complete"] else " -- **incomplete: the run stopped early**")
           + f"; Hypothesis profile `{doc.get('hypothesis_profile', 'ci')}`", ""]
    out += legend_markdown(doc) + [""]
    for paper in doc["papers"]:
        entries = [e for e in doc["statements"] if e["paper"] == paper["key"]]
        if not entries:
            continue
        out += [f"# {paper['title']}", "", f"_{paper['citation']}_", "",
                "| statement | where in the paper | verdict | scope of the statement | scope of what was shown | time (s) |",
                "|---|---|---|---|---|---|"]
        for e in entries:
            verdict = e["verdict"] or "not yet checked"
            out.append(f"| [{e['id']}](#{anchor(e)}) | {e['reference']} | **{verdict}** | {_cell(e['statement_scope'], 90)} "
                       f"| {_cell(e['proof_scope'], 120)} | {e['elapsed_s']:.1f} |")
        out.append("")
        out += graph_markdown(paper) + claims_markdown(paper, entries)
        for e in entries:
            out += statement_markdown(e)
    return "\n".join(out) + "\n"


def ensure_writable(out_dir) -> Path:
    """Create ``out_dir`` if needed and prove it can be written, or raise VerifyError naming it."""
    if str(out_dir).strip() == "":
        raise VerifyError("--out", str(out_dir), "is empty; name a directory")
    path = Path(out_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".vae-verify-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise VerifyError("--out", str(out_dir), f"cannot be written ({exc.strerror or exc})") from None
    return path


def write_figures(out_dir: Path, results: dict) -> None:
    """Write every result's figures as PNG files under out_dir/figures/."""
    for path, png in figure_files(results).items():
        _atomic_write(Path(out_dir) / path, png)


def figure_files(results: dict) -> dict:
    """Every figure of ``results`` (key -> ClaimResult): its path in the report -> its PNG bytes."""
    return {path: png for res in results.values() for path, png in res.figure_files().items()}


def _atomic_write(target: Path, data) -> None:
    """Write ``data`` to a unique temporary file beside ``target``, then rename it over ``target``
    (a reader never sees a half-written file; no predictable name is ever followed as a link)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


#: the files each format writes; a file of the other format left by an earlier run is removed, so
#: a directory never holds a report.md beside a newer report.json
_FORMAT_FILES = {"md": ("report.md",), "html": ("report.html",)}


def write_report(out_dir: Path, doc: dict, results: dict, fmt: str = "md") -> tuple:
    """Write report.json and, for ``fmt`` "md", report.md with figures/, for "html", the
    self-contained report.html; each file atomically (a reader never sees a half-written file)."""
    if fmt not in FORMATS:
        raise VerifyError("--format", fmt, f"unknown; choose one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    clean, timings = split_timings(doc)
    texts = [("report.json", json.dumps(clean, indent=2, ensure_ascii=False))]
    if fmt == "md":
        write_figures(out_dir, results)
        texts.append(("report.md", render_markdown(doc)))
    else:
        from .html import render_html

        texts.append(("report.html", render_html(doc, figure_files(results))))
    texts.append(("timings.json", json.dumps(timings, indent=2, ensure_ascii=False)))  # last: paths[:2] as before
    paths = []
    for name, text in texts:
        _atomic_write(out_dir / name, text)
        paths.append(out_dir / name)
    for other, names in _FORMAT_FILES.items():
        if other != fmt:
            for name in names:
                stale = out_dir / name
                if stale.is_file() and not stale.is_symlink():
                    stale.unlink()
    return tuple(paths)


def statements_table(doc: dict) -> str:
    """The README's table of every statement, regenerated from a report document: id, title,
    verdict, the scope of the statement and the scope of what was shown, errata and findings."""
    out = ["| id | statement | verdict | scope of the statement | scope of what was shown | errata | findings |",
           "|---|---|---|---|---|---|---|"]
    main = doc["papers"][0]["key"] if doc["papers"] else ""
    for e in doc["statements"]:
        qid = e["id"] if e["paper"] == main else f"{e['paper']}:{e['id']}"
        out.append(f"| `{qid}` | {_cell(e['title'], 80)} | {e['verdict'] or 'not yet checked'} | "
                   f"{_cell(e['statement_scope'], 110)} | {_cell(e['proof_scope'], 200)} | {len(e['errata'])} | "
                   f"{len(e.get('findings', []))} |")
    return "\n".join(out) + "\n"
