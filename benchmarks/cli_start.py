"""Start-up of the command line: ``sozialradar --help`` and ``sozialradar store info`` against ``python -c pass``
(the interpreter's own floor), each a fresh process, median of N runs.

    .venv/bin/python benchmarks/cli_start.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], env: dict[str, str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    cli = str(Path(sys.executable).with_name("sozialradar"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOZIALRADAR_")}
        env["SOZIALRADAR_STORE__PATH"] = str(Path(tmp) / "monitoring.duckdb")
        subprocess.run([cli, "ingest", str(ROOT / "data" / "sample" / "regions.csv")], env=env, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        floor = timed([sys.executable, "-c", "pass"], env, args.repeat)
        rows = [("sozialradar --help", timed([cli, "--help"], env, args.repeat)),
                ("sozialradar store info", timed([cli, "store", "info"], env, args.repeat)),
                ("sozialradar ingest --help", timed([cli, "ingest", "--help"], env, args.repeat)),
                ("sozialradar mapping suggest (the sample's regions.csv, whole command)",
                 timed([cli, "mapping", "suggest", str(ROOT / "data" / "sample" / "regions.csv")], env, args.repeat))]
    print(f"median of {args.repeat} fresh processes\n")
    print("| command | seconds | python -c pass | ratio |")
    print("|---|---|---|---|")
    for name, seconds in rows:
        print(f"| `{name}` | {seconds:.2f} | {floor:.3f} | {seconds / floor:.1f}× |")


if __name__ == "__main__":
    main()
