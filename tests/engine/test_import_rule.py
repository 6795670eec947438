"""The engine never imports Qt, pyqtgraph or the app: checked by import-linter and by reading the source."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"PySide6", "shiboken6", "pyqtgraph", "explorer"}


def forbidden_imports(source, filename="<source>"):
    """Top-level package names of forbidden imports in source (absolute imports only)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{filename}:{node.lineno} {name}" for name in names if name.split(".")[0] in FORBIDDEN]
    return found


def lint_imports_command():
    """lint-imports beside this interpreter (a virtual environment run without activating it, as
    the README's test command runs it), else the one on PATH."""
    beside = Path(sys.executable).parent / "lint-imports"
    return str(beside) if beside.exists() else shutil.which("lint-imports")


def test_lint_imports_contract_is_kept():
    exe = lint_imports_command()
    if exe is None:
        pytest.fail("lint-imports is not installed (pip install import-linter)")
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "KEPT" in done.stdout and "0 broken" in done.stdout


def test_engine_source_imports_no_gui():
    files = sorted((ROOT / "engine").glob("*.py"))
    assert len(files) >= 5
    problems = []
    for path in files:
        problems += forbidden_imports(path.read_text(encoding="utf-8"), path.name)
    assert problems == []


def test_the_source_check_can_fail():
    source = "import numpy\nfrom PySide6.QtCore import QObject\nimport pyqtgraph as pg\nfrom explorer import app\n"
    assert len(forbidden_imports(source)) == 3
    assert forbidden_imports("def f():\n    import shiboken6\n") != []
    assert forbidden_imports("import numpy\nfrom . import kernels\n") == []
