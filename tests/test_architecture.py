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
