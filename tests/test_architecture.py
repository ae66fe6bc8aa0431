"""Imports point one way (ml <- features <- models <- serving, experiments on top), and importing a
package has no side effects."""

import subprocess
import sys
from pathlib import Path

from ml.paths import PROJECT_ROOT


def test_import_contract_holds():
    exe = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(exe)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 kept, 0 broken" in proc.stdout


def test_importing_has_no_side_effects(tmp_path):
    code = ("import os, sys; os.chdir(sys.argv[1]); "
            "import ml.config, ml.catalog, ml.io, ml.importers, ml.store, ml.synthetic, ml.summary, experiments.cli; "
            "print(sorted(os.listdir('.')))")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


PACKAGES = ("ml", "features", "models", "serving", "experiments")
MAX_LINES = 450


def _modules():
    import ast

    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            yield path.relative_to(PROJECT_ROOT), text, ast.parse(text)


def test_every_public_function_and_class_says_what_it_does():
    import ast

    missing = []
    for rel, _, tree in _modules():
        if not ast.get_docstring(tree):
            missing.append(f"{rel}: module")

        def walk(node, prefix=""):
            for n in ast.iter_child_nodes(node):
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not n.name.startswith("_"):
                    if not ast.get_docstring(n):
                        missing.append(f"{rel}:{n.lineno} {prefix}{n.name}")
                    if isinstance(n, ast.ClassDef):
                        walk(n, f"{prefix}{n.name}.")

        walk(tree)
    assert not missing, "public functions and classes without a docstring:\n" + "\n".join(missing)


def test_a_long_module_says_why():
    import ast

    long = [f"{rel} ({len(text.splitlines())} lines)" for rel, text, tree in _modules()
            if len(text.splitlines()) > MAX_LINES and f"Longer than {MAX_LINES} lines because" not in
            (ast.get_docstring(tree) or "").replace("\n", " ")]
    assert not long, f"modules over {MAX_LINES} lines without the reason in their docstring: {', '.join(long)}"
