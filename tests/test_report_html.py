"""The HTML report: self-contained, the table of contents follows the paper, and in headless
Chromium the math is laid out as MathML while no request leaves the machine.

The browser test needs Debian's ``chromium`` and the ``playwright`` package (it drives the system
Chromium; it downloads nothing).  Without them it is skipped, with a message saying so.
"""
import re
import shutil
from pathlib import Path

import pytest

from proofs.koehler2022 import PAPER
from verify.html import math, render_html, section_of
from verify.report import figure_files, report_dict

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "build" / "screenshots" / "report.png"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page(checked, tmp_path_factory):
    """The full report page, from the session's results (each statement checked once per session)."""
    results = {(PAPER.key, sid): checked(sid) for sid in PAPER.checkable_ids()}
    doc = report_dict([PAPER], results, 1.0, complete=True)
    text = render_html(doc, figure_files(results))
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(text, encoding="utf-8")
    return path, text, doc


def test_page_is_self_contained_and_follows_the_paper(page):
    _, text, doc = page
    assert not re.findall(r"""(?:src|href)\s*=\s*["'](?!#|data:)""", text)  # only anchors and data: URIs
    n_figures = sum(len(e["figures"]) for e in doc["statements"])
    assert n_figures > 0 and text.count('src="data:image/png;base64,') == n_figures
    sections = [s for s, _ in PAPER.sections]
    found = re.findall(r'<h2 id="[^"]+">(Section \d+|Appendix [A-Z]|Sections \d)', text)
    known = [s for s in found if s in sections]
    assert known == [s for s in sections if s in known] and len(set(known)) == len(known)
    ids = re.findall(r'<section id="koehler2022-(\w+)">', text)
    assert sorted(ids) == sorted(s.id for s in PAPER.statements)
    # statements appear grouped by section, in the paper's order of sections
    order = [s for s, _ in PAPER.sections] + ["Other"]
    where = [order.index(section_of(PAPER.statement(i).reference, PAPER.sections)) for i in ids]
    assert where == sorted(where)
    for s in PAPER.statements:  # every statement's formula became MathML
        assert s.formula and "math-fallback" not in math(s.formula, display=True)


def test_math_falls_back_to_code_it_cannot_convert():
    assert math(r"\frac{1}{2}").startswith("<math")
    assert "math-fallback" in math(r"x ... [5000 chars]")
    assert "math-fallback" in math(r"\frac{1}{")


def _open_in_chromium(path: Path, screenshot: Path) -> dict:
    """Load ``path`` in headless Chromium; return the requests it made and how its math and images laid out."""
    if shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed (Debian package 'chromium'): the HTML report was NOT opened in a browser")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: the HTML report was "
                                   "NOT opened in a browser")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 1000})
            requests = []
            tab.on("request", lambda r: requests.append(r.url))
            tab.goto(path.as_uri(), wait_until="load")
            maths = tab.evaluate("""() => Array.from(document.querySelectorAll('math')).map(m => {
                const r = m.getBoundingClientRect();
                return {display: getComputedStyle(m).display, width: r.width, height: r.height}; })""")
            images = tab.evaluate("() => Array.from(document.images).map(i => i.complete && i.naturalWidth)")
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(screenshot))
        finally:
            browser.close()
    return {"requests": requests, "maths": maths, "images": images}


def _problems(seen: dict, page_path: Path, expected_math: int) -> list:
    out = [f"request left the page: {u}" for u in seen["requests"]
           if not (u == page_path.as_uri() or u.startswith("data:"))]
    if len(seen["maths"]) != expected_math:
        out.append(f"{len(seen['maths'])} math elements in the DOM, {expected_math} in the page")
    out += [f"math not laid out as MathML: {m}" for m in seen["maths"]
            if "math" not in m["display"] or m["width"] <= 0 or m["height"] <= 0]
    out += [f"image {k} did not load" for k, ok in enumerate(seen["images"]) if not ok]
    return out


def test_chromium_renders_the_math_and_makes_no_request(page):
    path, text, _ = page
    seen = _open_in_chromium(path, SCREENSHOT)
    assert _problems(seen, path, text.count("<math ")) == []
    assert len(seen["maths"]) > 100 and seen["images"]
    assert SCREENSHOT.read_bytes().startswith(b"\x89PNG")


def test_the_browser_check_catches_a_network_request_and_unrendered_math(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png">'
                   '<math style="display:none"><mi>x</mi></math><p>$x^2$</p></body></html>')
    seen = _open_in_chromium(bad, tmp_path / "bad.png")
    problems = _problems(seen, bad, expected_math=2)
    assert any("request left the page: http://127.0.0.1:9/x.png" in p for p in problems)
    assert any("1 math elements in the DOM, 2" in p for p in problems)
    assert any("not laid out as MathML" in p for p in problems)
    assert any("did not load" in p for p in problems)
