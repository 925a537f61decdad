"""Verdicts and derivations to ``report.json`` and ``report.md``.

JSON schema (``schema_version`` 1) -- also documented in the README:

    {
      "schema_version": 1, "tool": "vae-verify", "version": str, "paper": str,
      "generated": ISO-8601 UTC time, "elapsed_s": float, "complete": bool,
      "statements": [
        {"id": str, "title": str, "reference": str, "printed": str, "formula": LaTeX str, "checked": bool,
         "verdict": one of verified | verified_numerically | refuted | holds_as_corrected |
                    inconclusive, or null when not checked yet,
         "verdict_meaning": str, "summary": str, "elapsed_s": float, "error": str | null,
         "errata": [{"where", "printed", "witness", "correction", "correction_status"}],
         "figures": [{"path": "figures/<id>-<name>.png", "caption": str}],
         "notes": [markdown str],   # e.g. Table 1 beside the paper's
         "evidence": [
           {"role": statement | support | correction | proof, "kind": "derivation" | "check",
            "scope": str, "status": proved | numerically_verified | failed | undecided,
            # derivation:
            "title", "start", "start_latex", "start_reason", "elapsed_s",
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
from pathlib import Path
from typing import Sequence

from ._errors import VerifyError
from .claims import Statement

__all__ = ["PAPER", "FORMATS", "report_dict", "render_markdown", "statement_markdown", "write_report",
           "write_figures", "figure_files", "ensure_writable"]

PAPER = ("Koehler, Mehta, Zhou, Risteski: Variational autoencoders in the presence of low-dimensional "
         "data: landscape and implicit bias")
SCHEMA_VERSION = 1


def _not_checked(s: Statement) -> dict:
    return {"id": s.id, "title": s.title, "reference": s.reference, "printed": s.printed, "formula": s.formula,
            "checked": False,
            "verdict": None, "verdict_meaning": "not yet checked", "summary": "no proof module yet",
            "elapsed_s": 0.0, "error": None, "errata": [], "evidence": [], "figures": [], "notes": []}


def report_dict(statements: Sequence[Statement], results: dict, elapsed_s: float, complete: bool) -> dict:
    """The JSON document: one entry per statement, in paper order."""
    from . import __version__
    from .strategies import active_profile

    entries = []
    for s in statements:
        if s.id in results:
            entries.append(results[s.id].to_dict())
        elif s.module is None:
            entries.append(_not_checked(s))
        elif not complete:
            entry = _not_checked(s)
            entry["verdict_meaning"] = entry["summary"] = "not reached: the run stopped before this statement"
            entries.append(entry)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "vae-verify",
        "version": __version__,
        "paper": PAPER,
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "elapsed_s": round(elapsed_s, 3),
        "complete": complete,
        "hypothesis_profile": active_profile(),
        "statements": entries,
    }


def _fmt_err(x) -> str:
    return "" if x is None else f"{x:.1e}"


def _cell(text: str, limit: int = 160) -> str:
    text = str(text).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def statement_markdown(e: dict, figures: bool = True) -> list:
    """The markdown lines of one statement's entry (a ``ClaimResult.to_dict()``); ``figures=False``
    leaves out the links to figure files (a notebook shows the images themselves)."""
    out = [f"## {e['id']}", "", f"**{e['title']}** ({e['reference']})", "", f"> {e['printed']}", ""]
    if not e["checked"]:
        out += [f"_{e['summary']}_", ""]
        return out
    out += [f"**Verdict: {e['verdict']}** ({e['verdict_meaning']}); {e['elapsed_s']:.1f} s", "",
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
    out += ["### Evidence", ""]
    for ev in e["evidence"]:
        if ev["kind"] == "check":
            out += [f"- check **{ev['name']}** [{ev['role']}, {ev['scope']}]: {ev['status']}; "
                    f"{ev['method']}; worst error {_fmt_err(ev['worst_error'])}"
                    + (f"; witness: {ev['witness']}" if ev["witness"] else "")
                    + (f"; {ev['details']}" if ev["details"] else ""), ""]
            continue
        is_open = " open" if ev["status"] == "failed" else ""
        out += [f"<details{is_open}><summary><b>{ev['title']}</b> [{ev['role']}]: {ev['status']} "
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
            out.append(f"| {st['index']} | {st['relation']} | `{_cell(st['expression'])}` | {_cell(st['reason'], 200)}"
                       f"{extra} | {st['source']} | {st['status']} | {_cell(st['method'], 200)} | "
                       f"{_fmt_err(st['worst_error'])} |")
        out += ["", "</details>", ""]
    return out


def render_markdown(doc: dict) -> str:
    """Human-readable report: a summary table, then each statement with its evidence."""
    out = ["# vae-verify report", "", f"Paper: {doc['paper']}", "",
           f"Generated {doc['generated']} by vae-verify {doc['version']} in {doc['elapsed_s']:.1f} s"
           + ("" if doc["complete"] else " -- **incomplete: the run stopped early**")
           + f"; Hypothesis profile `{doc.get('hypothesis_profile', 'ci')}`", "",
           "| statement | where in the paper | verdict | time (s) |", "|---|---|---|---|"]
    for e in doc["statements"]:
        verdict = e["verdict"] or "not yet checked"
        out.append(f"| [{e['id']}](#{e['id']}) | {e['reference']} | **{verdict}** | {e['elapsed_s']:.1f} |")
    out += ["", "Verdicts: verified = exact symbolic proof for the stated scope, confirmed numerically; "
            "verified_numerically = held on every instance tried; refuted = a witness contradicts the printed "
            "statement; holds_as_corrected = printed form refuted, corrected form verified; inconclusive = "
            "could not decide.", ""]
    for e in doc["statements"]:
        out += statement_markdown(e)
    return "\n".join(out) + "\n"


def ensure_writable(out_dir) -> Path:
    """Create ``out_dir`` if needed and prove it can be written, or raise VerifyError naming it."""
    path = Path(out_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".vae-verify-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise VerifyError("--out", str(out_dir), f"cannot be written ({exc.strerror or exc})") from None
    return path


FORMATS = ("md", "html")


def write_figures(out_dir: Path, results: dict) -> None:
    """Write every result's figures as PNG files under out_dir/figures/."""
    for path, png in figure_files(results).items():
        target = Path(out_dir) / path
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(png)


def figure_files(results: dict) -> dict:
    """Every figure of ``results`` (id -> ClaimResult): its path in the report -> its PNG bytes."""
    return {path: png for res in results.values() for path, png in res.figure_files().items()}


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
        target = out_dir / name
        tmp = out_dir / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        paths.append(target)
    return tuple(paths)
