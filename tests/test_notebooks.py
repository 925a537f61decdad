"""Every notebook in notebooks/ runs top to bottom (jupytext reads the markdown source, nbclient
executes it in a fresh kernel); a cell that raises fails the test."""
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.md"))


def test_there_is_a_notebook_per_group_of_statements():
    names = [p.stem for p in NOTEBOOKS]
    assert names == ["01_the_loss", "02_optimal_variances", "03_landscape", "04_nonlinear_construction",
                     "05_dynamics", "06_experiments", "07_nonlinear_experiments", "08_dai2017",
                     "09_reizinger2022", "10_wipf2023"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    jupytext = pytest.importorskip("jupytext")
    from nbclient import NotebookClient

    nb = jupytext.read(path)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    # every notebook ends with the verdicts of its statements
    last = nb.cells[-1]
    assert last.cell_type == "code" and "show(" in last.source
    shown = "".join(o.get("data", {}).get("text/markdown", "") for o in last.outputs)
    assert "**Verdict:" in shown
