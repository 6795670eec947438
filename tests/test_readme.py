"""README.md's two commands are the ones CI and users run: keep them true."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands(text):
    return re.findall(r"```(?:sh|bash)\n(.+?)\n```", text, flags=re.S)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci_lines = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    test_command = ci_lines[-1]
    assert "pytest" in test_command
    assert test_command in [c.strip() for c in _commands(readme)]


def test_readme_has_a_command_that_installs_and_starts_the_app():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    starts = [c for c in _commands(readme) if c.strip().endswith("backprop-explorer") and "pip install" in c]
    assert starts, "README needs one command that installs and starts the app"


def test_entry_point_is_declared():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'backprop-explorer = "explorer.__main__:main"' in pyproject
