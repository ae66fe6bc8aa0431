"""Service start-up on the demo: seconds from ``bentoml serve`` until it answers from the stored scores.

Runs the demo's store and registry (``sozialradar demo --serve-for 0`` first, work directory
``.sozialradar/demo`` or ``--workdir``), starts ``bentoml serve`` as ``sozialradar serve`` does, and measures,
from the moment the process is started: the first 200 of ``/livez`` (the anchor: BentoML itself is up), of
``POST /early_warning`` (all regions with their explanations, read from the store) and of ``/readyz``
(every champion loaded); beside them,
in this process, the snapshot load itself (store tables and the registry's champions), cold and warm.

    .venv/bin/python benchmarks/service_start.py [--workdir .sozialradar/demo] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments import serve as service  # noqa: E402
from ml.config import load_settings  # noqa: E402


def _first_200(url: str, body: dict | None, t0: float, proc, timeout: float = 120) -> float:
    data = json.dumps(body).encode() if body is not None else None
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited with code {proc.returncode}")
        try:
            req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=5) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise TimeoutError(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / ".sozialradar" / "demo")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    store = args.workdir / "monitoring.duckdb"
    if not store.is_file():
        sys.exit(f"no demo store at {store}: run 'python3 dev.py demo' (or sozialradar demo --serve-for 0) first")
    env = {"SOZIALRADAR_STORE__PATH": str(store), "SOZIALRADAR_TRACKING__URI": f"sqlite:///{args.workdir / 'mlflow.db'}"}
    settings = load_settings(env=env)
    import subprocess

    code = ("import time; t=time.perf_counter(); from ml.config import load_settings; "
            "from ml.catalog import effective_catalog; from ml.paths import CATALOG_DIR; "
            "from serving.state import ServiceState; s=load_settings(); "
            "st=ServiceState(s, effective_catalog(s, [CATALOG_DIR/'berlin_mss.csv', CATALOG_DIR/'inkar.csv'])); "
            "t1=time.perf_counter(); st.load(); t2=time.perf_counter(); st.load(); t3=time.perf_counter(); "
            "print(t1-t, t2-t1, t3-t2)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        config = service.write_config(settings, Path(tmp) / "service.yaml")
        for k in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", code], env={**__import__("os").environ, **env},
                                 capture_output=True, text=True, cwd=ROOT, check=True).stdout.split()
            imports, cold, warm = map(float, out[-3:])
            port = service.free_port()
            t0 = time.perf_counter()
            proc, base = service.start(settings, config, port=port)
            try:
                alive = _first_200(base + "/livez", None, t0, proc)
                answer = _first_200(base + "/early_warning", {"explain": True}, t0, proc)
                ready = _first_200(base + "/readyz", None, t0, proc)
            finally:
                service.stop(proc)
            rows.append((imports, cold, warm, answer, ready, alive))
            print(f"run {k + 1}: imports {imports:.2f} s, snapshot load cold {cold:.2f} s / warm {warm:.2f} s; "
                  f"bentoml serve: /livez 200 after {alive:.2f} s, first /early_warning 200 after {answer:.2f} s, "
                  f"/readyz after {ready:.2f} s",
                  flush=True)
    best = min(rows, key=lambda r: r[3])
    print("\n| measure | seconds (best of %d) |" % len(rows))
    print("|---|---|")
    for name, i in (("imports of the service's modules", 0), ("snapshot load, cold (store + registry champions)", 1),
                    ("snapshot load, warm", 2), ("anchor: bentoml serve → /livez 200 (the framework is up)", 5),
                    ("bentoml serve → first POST /early_warning 200", 3), ("bentoml serve → /readyz 200", 4)):
        print(f"| {name} | {min(r[i] for r in rows):.2f} |")
    print(f"\ngoal: answers from stored scores in under 5 s: {'met' if best[3] < 5 else 'not met'} ({best[3]:.2f} s)")


if __name__ == "__main__":
    main()
