"""Service load: p50, p99 and requests per second of ``bentoml serve`` on 127.0.0.1, with a load generator in a
second process (asyncio + aiohttp, C concurrent clients on keep-alive connections), side by side with a BentoML endpoint that returns a
constant (the framework's floor), in one run.

Prepares its own demo work directory (store, MLflow registry with champions) unless --workdir is given.

    .venv/bin/python benchmarks/service.py [--requests 10000] [--concurrency 16] [--workdir DIR] [--workers N]
        [--scenario-requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments import serve as service  # noqa: E402
from ml.config import load_settings  # noqa: E402


def _load(base: str, method: str, path: str | list[str], body: bytes | None, n: int, concurrency: int, out) -> None:
    import aiohttp

    async def run():
        latencies, errors = [], 0
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(base_url=base, connector=connector) as session:
            todo = iter(range(n))
            paths = [path] if isinstance(path, str) else path

            async def worker():
                nonlocal errors
                for i in todo:
                    t0 = time.perf_counter()
                    try:
                        async with session.request(method, paths[i % len(paths)], data=body,
                                                   headers={"Content-Type": "application/json"}) as r:
                            await r.read()
                            ok = r.status == 200
                    except aiohttp.ClientError:
                        ok = False
                    latencies.append(time.perf_counter() - t0)
                    errors += not ok

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return latencies, errors, time.perf_counter() - t0

    out.put(asyncio.run(run()))


def measure(base, method, path, body, n, concurrency) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    # warm-up, then the measured run, each in its own process (a list of distinct paths is not warmed up: each
    # path is asked once, the first time)
    for count in ((min(200, n), n) if isinstance(path, str) else (n,)):
        p = ctx.Process(target=_load, args=(base, method, path, body, count, concurrency, q))
        p.start()
        latencies, errors, seconds = q.get()
        p.join()
    latencies.sort()
    pct = lambda f: latencies[min(len(latencies) - 1, int(f * len(latencies)))] * 1000  # noqa: E731
    return {"p50": pct(0.50), "p99": pct(0.99), "rps": n / seconds, "errors": errors, "n": n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--workers", type=int, default=1, help="service worker processes")
    parser.add_argument("--report-pages", type=int, default=400, help="distinct report pages asked once each (0: no report runs)")
    parser.add_argument("--scenario-requests", type=int, default=None, help="requests to /scenario (default: --requests; 0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp) / "demo"
        if args.workdir is None:
            print("preparing the demo work directory …", file=sys.stderr)
            subprocess.run([str(Path(sys.executable).with_name("sozialradar")), "demo", "--workdir", str(workdir),
                            "--serve-for", "0", "--port", str(service.free_port())], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(workdir / "monitoring.duckdb"),
                                      "SOZIALRADAR_TRACKING__URI": f"sqlite:///{workdir / 'mlflow.db'}",
                                      "SOZIALRADAR_SERVING__PORT": str(service.free_port()),
                                      "SOZIALRADAR_SERVING__WORKERS": str(args.workers)})
        config = service.write_config(settings, Path(tmp) / "service.yaml")
        proc, base = service.start(settings, config, log=Path(tmp) / "service.log")
        try:
            service.wait_ready(base, proc)
            _, regions = service.call(base, "/regions")
            one = next(r["region_id"] for r in regions["regions"] if r["warning_level"] is not None)
            runs = [
                ("BentoML constant endpoint (floor)", "POST", "/constant", b"{}", args.requests),
                ("/early_warning, one region with explanation", "POST", "/early_warning",
                 f'{{"region_ids": ["{one}"]}}'.encode(), args.requests),
                ("/early_warning, all regions with explanations", "POST", "/early_warning", b"{}",
                 max(1000, args.requests // 5)),
            ]
            n_scenarios = args.requests if args.scenario_requests is None else args.scenario_requests
            if n_scenarios:
                runs.append(("/scenario, one region, SGB-II-Quote +1 (champions, exact SHAP, batched)", "POST",
                             "/scenario", f'{{"requests": [{{"region_id": "{one}", "changes": [{{"indicator_id": '
                             f'"sgb2_quote", "change": 1}}]}}]}}'.encode(), n_scenarios))
            # report pages: each page asked for the first time (rendered on request, as every request was before
            # pages were cached per snapshot), then one page again and again (served from the cache)
            from ml.store import Store

            with Store(workdir / "monitoring.duckdb", read_only=True) as store:
                keys = store.con.execute("SELECT region_id, period FROM profiles WHERE status_index IS NOT NULL "
                                         "ORDER BY period DESC, region_id").fetchall()
            pages = [f"/report?region_id={r}&period={p}" for r, p in keys if r != one][:args.report_pages]
            if args.report_pages:
                runs += [(f"/report, {len(pages)} distinct pages, each rendered on its first request", "GET", pages,
                          None, len(pages)),
                         ("/report, one page again and again (cached per snapshot)", "GET",
                          f"/report?region_id={one}", None, max(1000, args.requests // 5))]
            results = [(name, measure(base, m, p, b, n, args.concurrency)) for name, m, p, b, n in runs]
        finally:
            service.stop(proc)
    floor = results[0][1]
    print(f"\n{args.concurrency} concurrent clients, {args.workers} service worker(s), load generator in a second process, "
          f"127.0.0.1\n")
    print("| endpoint | requests | errors | p50 ms | p99 ms | requests/s | p99 / floor p99 |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results:
        print(f"| {name} | {r['n']:,} | {r['errors']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['rps']:.0f} | "
              f"{r['p99'] / floor['p99']:.2f}× |")


if __name__ == "__main__":
    main()
