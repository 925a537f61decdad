"""Display helpers for the notebooks in ``notebooks/`` (IPython is imported only when called)."""
from __future__ import annotations

from .claims import ClaimResult
from .report import statement_markdown

__all__ = ["show", "show_steps"]


def show(result: ClaimResult) -> None:
    """A statement's verdict, summary, errata and evidence as markdown, then its figures."""
    from IPython.display import Image, Markdown, display

    display(Markdown("\n".join(statement_markdown(result.to_dict(), figures=False))))
    for f in result.figures:
        display(Markdown(f"_{f.caption}_"), Image(data=f.png))


def show_steps(derivation) -> None:
    """The steps of one derivation: each expression as LaTeX with its relation, reason and status."""
    from IPython.display import Markdown, display

    lines = [f"**{derivation.title}**: {derivation.status.value}", "",
             "| # | step | reason | status |", "|---|---|---|---|"]
    for s in derivation.steps:
        tex = s.latex if " ... [" not in s.latex else s.expression
        lines.append(f"| {s.index} | ${s.relation.value.replace('<=', chr(8804)).replace('>=', chr(8805))}\\;"
                     f"{tex}$ | {s.reason} | {s.status.value} |")
    display(Markdown("\n".join(lines)))
