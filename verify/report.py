"""Verdicts and derivations to ``report.json`` and ``report.md`` (the HTML page is :mod:`verify.html`).

JSON schema (``schema_version`` 2) -- also documented in the README:

    {
      "schema_version": 2, "tool": "vae-verify", "version": str,
      "papers": [{"key", "title", "citation", "sections": [[name, printed title], ...]}],
      "generated": ISO-8601 UTC time, "elapsed_s": float, "complete": bool, "hypothesis_profile": str,
      "verdict_legend": {verdict: meaning},
      "statements": [
        {"id": str, "paper": paper key, "title", "reference", "printed", "formula": LaTeX str,
         "statement_scope": str, "proof_scope": str, "checked": bool,
         "verdict": verified | verified_bounded | verified_numerically | refuted | holds_as_corrected |
                    inconclusive, or null when not checked yet,
         "verdict_meaning": str, "verdict_reason": str, "summary": str, "elapsed_s": float, "error": str | null,
         "errata": [{"where", "printed", "witness", "correction", "correction_status"}],
         "findings": [{"kind", "title", "text", "witness", "method"}],
         "figures": [{"path": "figures/<paper>-<id>-<name>.png", "caption": str}],
         "notes": [markdown str],
         "evidence": [
           {"role": statement | support | correction | proof, "kind": "derivation" | "check",
            "scope": str, "coverage": all | bounded,
            "status": proved | numerically_verified | failed | undecided,
            # derivation: ("status" is the derivation as printed, "corrected_status" with its corrections)
            "title", "start", "start_latex", "start_reason", "elapsed_s", "corrected_status",
            "steps": [{"index", "relation", "expression", "latex", "reason", "source", "status",
                       "method", "worst_error", "witness", "constant", "note"}],
            # check:
            "name", "method", "worst_error", "witness", "details"}]}
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

__all__ = ["FORMATS", "SCHEMA_VERSION", "report_dict", "render_markdown", "statement_markdown", "write_report",
           "write_figures", "figure_files", "ensure_writable"]

SCHEMA_VERSION = 2
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
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "vae-verify",
        "version": __version__,
        "papers": [{"key": p.key, "title": p.title, "citation": p.citation, "sections": [list(x) for x in p.sections]}
                   for p in papers],
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "elapsed_s": round(elapsed_s, 3),
        "complete": complete,
        "hypothesis_profile": active_profile(),
        "verdict_legend": dict(VERDICT_LEGEND),
        "statements": entries,
    }


def _fmt_err(x) -> str:
    return "" if x is None else f"{x:.1e}"


def _cell(text: str, limit: int = 160) -> str:
    text = str(text).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def anchor(e: dict) -> str:
    """The HTML/Markdown anchor of a statement entry: ``<paper>-<id>``."""
    return f"{e['paper']}-{e['id']}"


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
    for note in e.get("notes", []):
        out += [note, ""]
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
                    + (f"; {ev['details']}" if ev["details"] else ""), ""]
            continue
        is_open = " open" if ev["status"] == "failed" else ""
        out += [f"<details{is_open}><summary><b>{ev['title']}</b> [{ev['role']}{cover}]: {ev['status']} "
                f"({len(ev['steps'])} step(s))</summary>", "",
                f"Start: `{_cell(ev['start'], 300)}` -- {ev['start_reason']}", "",
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
    texts = [("report.json", json.dumps(doc, indent=2, ensure_ascii=False))]
    if fmt == "md":
        write_figures(out_dir, results)
        texts.append(("report.md", render_markdown(doc)))
    else:
        from .html import render_html

        texts.append(("report.html", render_html(doc, figure_files(results))))
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
