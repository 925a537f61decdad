"""The README's two commands are the ones CI and users run."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    command = ci[ci.index("# README test command:") + 1]
    assert command in readme
    first_screen = "\n".join(readme.splitlines()[:25])
    assert command in first_screen
    assert "vae-verify report" in first_screen
