"""The report as one self-contained HTML page (``vae-verify report --format html``).

Nothing on the page is fetched: the figures are embedded as ``data:`` URIs, the style sheet is
inline, and the math is converted from LaTeX to MathML here, by the ``latex2mathml`` package, so
the browser lays it out itself (MathML Core; no script, no web font, no CDN).  The table of
contents follows the sections of the paper.  Each paper opens with its dependency graph (an inline
SVG laid out offline by :func:`verify.graph.svg`, each node a link to its statement) and the table of
every claim it makes, informal included; each statement shows its provenance in a ``<details>``.
"""
from __future__ import annotations

import base64
import functools
import html
import re
from typing import Mapping

import markdown as _markdown
from latex2mathml.converter import convert as _latex_to_mathml

from .report import anchor

__all__ = ["section_of", "math", "render_html"]

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;
line-height:1.45;color:#1d1d1f}
nav{border:1px solid #ccd;border-radius:6px;padding:.5rem 1rem;background:#f7f8fb}
nav ol{margin:.2rem 0}
table{border-collapse:collapse;margin:.6rem 0;font-size:.88rem}
td,th{border:1px solid #ccd;padding:.25rem .45rem;vertical-align:top}
th{background:#eef0f6}
.verdict{font-weight:700;padding:.05rem .4rem;border-radius:4px}
.verified{background:#c9ecd2}.verified_bounded,.verified_numerically{background:#e6f4e9}.holds_as_corrected{background:#fff1c9}
.refuted,.inconclusive{background:#ffd9d9}
.printed{border-left:4px solid #99a;padding:.3rem .8rem;background:#fafafa}
.graph svg{max-width:100%;height:auto}
figure{margin:1rem 0}figure img{max-width:100%}figcaption{font-size:.85rem;color:#555}
code{font-size:.85em}details{margin:.5rem 0}
math[display=block]{margin:.6rem 0;font-size:1.1em}
"""


def section_of(reference: str, sections) -> str:
    """The first of ``sections`` ((name, title) pairs) that a statement's reference names ("Other" if none)."""
    hits = [(reference.find(name), name) for name, _ in sections if name in reference]
    return min(hits)[1] if hits else "Other"


@functools.lru_cache(maxsize=4096)  # a report re-renders the page after each statement
def math(latex: str, display: bool = False) -> str:
    """LaTeX -> MathML; LaTeX that cannot be converted is shown as code (and marked for the tests)."""
    if not latex or " ... [" in latex:  # empty, or truncated by the derivation engine
        return f'<code class="math-fallback">{html.escape(latex)}</code>'
    try:
        return _latex_to_mathml(latex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - any converter failure falls back to the source
        return f'<code class="math-fallback">{html.escape(latex)}</code>'


def _esc(text) -> str:
    return html.escape(str(text))


def _err(x) -> str:
    return "" if x is None else f"{x:.1e}"


def _figure(path: str, caption: str, figures: Mapping[str, bytes]) -> str:
    png = figures.get(path)
    if png is None:
        return f"<p><em>figure {_esc(path)} was not produced</em></p>"
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img alt="{_esc(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_esc(caption)}</figcaption></figure>")


def _derivation(ev: dict) -> str:
    rows = []
    for st in ev["steps"]:
        extra = f"<br><b>witness:</b> {_esc(st['witness'])}" if st.get("witness") else ""
        rows.append(f"<tr><td>{st['index']}</td><td>{_esc(st['relation'])}</td><td>{math(st.get('latex', ''))}</td>"
                    f"<td>{_esc(st['reason'])}{extra}</td><td>{_esc(st['source'])}</td>"
                    f"<td class=\"{_esc(st['status'])}\">{_esc(st['status'])}</td><td>{_esc(st['method'])}</td>"
                    f"<td>{_err(st['worst_error'])}</td></tr>")
    opened = " open" if ev["status"] == "failed" else ""
    return (f"<details{opened}><summary><b>{_esc(ev['title'])}</b> [{_esc(ev['role'])}]: {_esc(ev['status'])} "
            f"({len(ev['steps'])} step(s))</summary>"
            f"<p>Start: {math(ev.get('start_latex', ''))} &mdash; {_esc(ev['start_reason'])}</p>"
            "<table><tr><th>#</th><th>rel</th><th>expression</th><th>reason</th><th>source</th><th>status</th>"
            "<th>method</th><th>worst error</th></tr>" + "".join(rows) + "</table></details>")


def _statement(e: dict, figures: Mapping[str, bytes]) -> str:
    out = [f'<section id="{_esc(anchor(e))}"><h3>{_esc(e["id"])}: {_esc(e["title"])}</h3>',
           f"<p><em>{_esc(e['reference'])}</em></p>"]
    if e.get("formula"):
        out.append(math(e["formula"], display=True))
    out.append(f'<div class="printed">{_esc(e["printed"])}</div>')
    if not e["checked"]:
        return "".join(out + [f"<p><em>{_esc(e['summary'])}</em></p></section>"])
    out.append(f'<p>Verdict: <span class="verdict {_esc(e["verdict"])}">{_esc(e["verdict"])}</span> '
               f"({_esc(e['verdict_meaning'])}); {e['elapsed_s']:.1f} s</p>"
               f"<table><tr><th>scope of the statement</th><td>{_esc(e['statement_scope'] or 'as printed')}</td></tr>"
               f"<tr><th>scope of what was shown</th><td>{_esc(e['proof_scope'] or 'see the evidence')}</td></tr></table>"
               f"<p>{_esc(e['summary'])}</p>")
    if e.get("error"):
        out.append(f"<p>Error: <code>{_esc(e['error'])}</code></p>")
    for note in e.get("notes", []):
        out.append(_markdown_safe(note))
    out.append(_runs(e))
    for fig in e.get("figures", []):
        out.append(_figure(fig["path"], fig["caption"], figures))
    if e["errata"]:
        out.append("<h4>Errata</h4><ul>")
        for x in e["errata"]:
            out.append(f"<li><b>{_esc(x['where'])}</b>: printed <code>{_esc(x['printed'])}</code><ul>"
                       f"<li>witness: {_esc(x['witness'])}</li><li>correction: {_esc(x['correction'])} "
                       f"({_esc(x['correction_status'])})</li></ul></li>")
        out.append("</ul>")
    if e.get("findings"):
        out.append("<h4>Findings (beyond the paper)</h4><ul>")
        for f in e["findings"]:
            out.append(f"<li><b>{_esc(f['title'])}</b> ({_esc(f['kind'])}): {_esc(f['text'])}<ul>"
                       f"<li>witness: {_esc(f['witness'])}</li><li>how it was found: {_esc(f['method'])}</li></ul></li>")
        out.append("</ul>")
    if e.get("provenance"):
        pv = e["provenance"]
        items = "".join(f"<li>item {_esc(ev['provenance']['item'])}: <code>{_esc(ev['provenance']['command'])}</code>"
                        + (f" ({_esc(ev['provenance']['recomputes'])})" if ev["provenance"].get("recomputes") else "")
                        + "</li>" for ev in e["evidence"] if ev.get("provenance"))
        if pv.get("only_recomputes"):
            items += f"<li>--only recomputes: {_esc(pv['only_recomputes'])}</li>"
        out.append(f"<details><summary>provenance</summary><p>rests on: {_esc(', '.join(e.get('uses') or []) or 'nothing else in the paper')}"
                   f"; check <code>{_esc(pv['check'])}</code>; code version <code>{_esc(pv['code_version'])}</code>; "
                   f"Hypothesis profile <code>{_esc(pv['hypothesis_profile'])}</code>; recompute: "
                   f"<code>{_esc(pv['command'])}</code></p><ul>{items}</ul></details>")
    out.append("<h4>Evidence</h4>")
    for ev in e["evidence"]:
        if ev["kind"] == "derivation":
            out.append(_derivation(ev))
        else:
            out.append(f"<p>check <b>{_esc(ev['name'])}</b> [{_esc(ev['role'])}, {_esc(ev['scope'])}]: "
                       f'<span class="{_esc(ev["status"])}">{_esc(ev["status"])}</span>; {_esc(ev["method"])}; '
                       f"worst error {_err(ev['worst_error'])}"
                       + (f"; witness: {_esc(ev['witness'])}" if ev["witness"] else "")
                       + (f"; {_esc(ev['details'])}" if ev["details"] else "") + "</p>")
    return "".join(out + ["</section>"])


def _runs(e: dict) -> str:
    """A reproduced table's runs: where each came from (cache or computed, its cache key) and the
    command that recomputes it, in a details element; a line above says whether the table is cached."""
    from .report import cache_line

    runs = e.get("runs") or []
    if not runs:
        return ""
    rows = "".join(
        f"<tr><td>{_esc(r['table'])}</td><td>{_esc(r['label'])}</td><td>{_esc(r['seed'])}</td>"
        f"<td>{'cache' if r['cached'] else 'computed'}</td><td><code>{_esc(r['cache_key'])}</code></td>"
        f"<td>{_esc(', '.join(f'{k}={v}' for k, v in sorted(r['parameters'].items())))}</td>"
        f"<td><code>{_esc(r['command'])}</code>" + (f" ({_esc(r['recomputes'])})" if r.get("recomputes") else "")
        + "</td></tr>" for r in runs)
    return (f'<p class="cache"><b>Provenance of the table.</b> {_esc(cache_line(e).replace("`", ""))}</p>'
            f"<details><summary>the {len(runs)} runs (parameters, seed, source, cache key, command)</summary>"
            "<table><tr><th>table</th><th>run</th><th>seed</th><th>source</th><th>cache key</th><th>parameters</th>"
            f"<th>recompute</th></tr>{rows}</table></details>")


def _paper_graph(paper: dict, entries: list) -> str:
    """The dependency graph as inline SVG and the table of every claim (informal claims' rows are
    the targets of their nodes' links)."""
    from .graph import svg
    from .report import _graph_of

    if not paper.get("graph", {}).get("nodes"):
        return ""
    key = paper["key"]
    picture = svg(_graph_of(paper), lambda n: f"#{key}-{n}")
    ids = {e["id"] for e in entries}
    rows = []
    for c in paper.get("claims", []):
        by = ", ".join(f'<a href="#{_esc(key)}-{_esc(x)}">{_esc(x)}</a>' if x in ids else _esc(x) for x in c["checked_by"])
        verdict = c["verdict"] or ""
        row_id = f' id="{_esc(key)}-{_esc(c["id"])}"' if c["kind"] == "informal" else ""
        rows.append(f"<tr{row_id}><td>{_esc(c['id'])}</td><td>{_esc(c['kind'])}</td><td>{_esc(c['reference'])}</td>"
                    f'<td><span class="verdict {_esc(verdict)}">{_esc(verdict or "not checked")}</span>'
                    + (f"<br>{_esc(c['verdict_reason'])}" if c["kind"] == "informal" else "")
                    + f"</td><td>{by or 'not checked'}</td><td>{_esc(c['leaves_out'])}</td></tr>")
    return (f'<h2 id="{_esc(key)}-graph">What rests on what</h2><p>An arrow goes from a result to each claim whose '
            "proof uses it; colours are verdicts; each node links to its statement.</p>"
            f'<div class="graph">{picture}</div><h2 id="{_esc(key)}-claims">Every claim of the paper</h2>'
            "<table><tr><th>claim</th><th>kind</th><th>where in the paper</th><th>verdict</th><th>checked by</th>"
            f"<th>what the wording leaves out</th></tr>{''.join(rows)}</table>")


def _markdown_safe(text: str) -> str:
    """Markdown to HTML with any raw HTML in the source escaped first (notes may hold data from a cache)."""
    return _markdown.markdown(html.escape(text, quote=False), extensions=["tables"])


def render_html(doc: dict, figures: Mapping[str, bytes]) -> str:
    """The page for a report document (:func:`verify.report.report_dict`); ``figures`` maps each
    figure's ``path`` in the document to its PNG bytes.  Per paper, statements are grouped by the
    paper's sections, in the paper's order."""
    toc = ["<nav><b>Contents</b> (following each paper)<ol>"]
    body = []
    for paper in doc["papers"]:
        entries = [e for e in doc["statements"] if e["paper"] == paper["key"]]
        if not entries:
            continue
        sections = [tuple(x) for x in paper["sections"]]
        groups: dict = {}
        for e in entries:
            groups.setdefault(section_of(e["reference"], sections), []).append(e)
        titles = dict(sections)
        order = [s for s, _ in sections if s in groups] + [s for s in groups if s not in titles]
        toc.append(f'<li><a href="#{_esc(paper["key"])}">{_esc(paper["title"])}</a><ol>')
        body.append(f'<h1 id="{_esc(paper["key"])}">{_esc(paper["title"])}</h1><p><em>{_esc(paper["citation"])}</em></p>')
        body.append(_paper_graph(paper, entries))
        for sec in order:
            sec_anchor = f"{paper['key']}-" + sec.lower().replace(" ", "-")
            toc.append(f'<li><a href="#{_esc(sec_anchor)}">{_esc(sec)} {_esc(titles.get(sec, ""))}</a><ol>')
            toc += [f'<li><a href="#{_esc(anchor(e))}">{_esc(e["id"])}</a>: {_esc(e["title"])} '
                    f'<span class="verdict {_esc(e["verdict"] or "")}">{_esc(e["verdict"] or "not yet checked")}</span></li>'
                    for e in groups[sec]]
            toc.append("</ol></li>")
            body.append(f'<h2 id="{_esc(sec_anchor)}">{_esc(sec)} {_esc(titles.get(sec, ""))}</h2>')
            body += [_statement(e, figures) for e in groups[sec]]
        toc.append("</ol></li>")
    toc.append("</ol></nav>")
    legend = "".join(f"<tr><td><code>{_esc(k)}</code></td><td>{_esc(v)}</td></tr>" for k, v in doc["verdict_legend"].items())
    status = "" if doc["complete"] else " <b>Incomplete: the run stopped early.</b>"
    head = (f"<h1>vae-verify report</h1><p>Generated {_esc(doc['generated'])} by "
            f"vae-verify {_esc(doc['version'])} in {doc['elapsed_s']:.1f} s; Hypothesis profile "
            f"<code>{_esc(doc.get('hypothesis_profile', 'ci'))}</code>.{status}</p>"
            f"<table><tr><th>verdict</th><th>meaning</th></tr>{legend}</table>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
            "style-src 'unsafe-inline'\"><title>vae-verify report</title>"
            f"<style>{_STYLE}</style></head><body>{head}{''.join(toc)}{''.join(body)}</body></html>\n")
