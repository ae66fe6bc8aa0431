#!/usr/bin/env python3
"""Set up the project's environment and run the demo or the test suite.

    python3 dev.py demo            # the main job on the embedded synthetic sample
    python3 dev.py test [ARGS]     # the test suite (ARGS go to pytest)

Needs only Python 3.11. Creates ``.venv`` beside this file and installs the pinned dependencies from
``requirements.lock``; the installation is redone only when the lock file or pyproject.toml change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".sozialradar-installed"


def _python311() -> str:
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    found = shutil.which("python3.11")
    if found:
        return found
    sys.exit(f"dev.py: Python 3.11 is required; this is {sys.version.split()[0]} and no python3.11 is on PATH")


def _digest() -> str:
    h = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def _run(*cmd: object, **kw) -> None:
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)


def ensure_environment() -> None:
    if not (BIN / "python").exists():
        print("dev.py: creating .venv", flush=True)
        _run(_python311(), "-m", "venv", VENV)
    digest = _digest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    print("dev.py: installing pinned dependencies (requirements.lock)", flush=True)
    _run(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip==26.3")
    _run(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", "requirements.lock", "-e", ".[test]")
    STAMP.write_text(digest)


def _apt_install(packages: list[str], why: str) -> bool:
    """Install Debian packages when this is a root shell with apt-get; False (and a note) otherwise."""
    apt = shutil.which("apt-get")
    if not (apt and hasattr(os, "geteuid") and os.geteuid() == 0):
        print(f"dev.py: cannot install {', '.join(packages)} here (needs apt-get as root); {why}", flush=True)
        return False
    print(f"dev.py: installing {', '.join(packages)} (apt-get)", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run(apt, "update", "-qq", env=env)
    _run(apt, "install", "-y", "-qq", "--no-install-recommends", *packages, env=env)
    return True


def ensure_system_packages() -> None:
    """The Spark engine needs a Java runtime; the browser tests need Debian's Chromium and its driver."""
    missing = []
    if not shutil.which("java"):
        missing.append("openjdk-17-jre-headless")
    if not (shutil.which("chromium") or shutil.which("chromium-browser")) or not shutil.which("chromedriver"):
        missing += ["chromium", "chromium-driver"]
    if missing:
        _apt_install(missing, "the tests that need them will be skipped")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test"):
        print(__doc__)
        return 2
    ensure_environment()
    env = dict(os.environ, PYTHONHASHSEED="0")
    if argv[0] == "demo":
        return subprocess.run([str(BIN / "sozialradar"), "demo", *argv[1:]], cwd=ROOT, env=env).returncode
    ensure_system_packages()
    # two workers: the CI machine has two cores
    # tests that share the demo (one session fixture) stay on one worker: --dist loadgroup
    args = argv[1:] or ["-n", "2", "--dist", "loadgroup"]
    return subprocess.run([str(BIN / "python"), "-m", "pytest", *args], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
