"""Helpers shared by the benchmarks: run a task in a fresh process and read its peak memory; the median time of a
call; a module as an earlier git revision held it (the anchor of a before/after comparison)."""

from __future__ import annotations

import importlib.util
import multiprocessing as mp
import queue as queue_module
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def real_tables() -> list[Path]:
    """Every CSV and workbook of the real open data beside the project (not the raw shapefile archives)."""
    return [p for p in sorted(SHARED.rglob("*")) if p.suffix.lower() in (".csv", ".xlsx") and "raw" not in p.parts]


def module_at(rev: str, relative: str, name: str):
    """The module at ``relative`` (``ml/suggest.py``) as git revision ``rev`` held it, loaded as ``name`` beside
    today's (its own imports are today's modules)."""
    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{relative}"], check=True, capture_output=True,
                          text=True).stdout
    path = Path(tempfile.mkdtemp()) / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def peak_mb() -> float:
    """Peak resident memory of this process (VmHWM; unlike ru_maxrss it does not carry over the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def in_fresh_process(target, args):
    """Run ``target(args, queue)`` in a spawned process and return what it put on the queue."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(args, queue))
    proc.start()
    while True:
        try:
            result = queue.get(timeout=5)
            break
        except queue_module.Empty:
            if not proc.is_alive():
                raise RuntimeError(f"the measured process died with exit code {proc.exitcode}") from None
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"{target.__name__} failed with exit code {proc.exitcode}")
    return result


class TreeMemory:
    """Samples the resident memory of this process and all its children (a JVM, Spark's Python workers)
    every ``interval`` seconds; ``peak_mb`` is the largest sum seen."""

    def __init__(self, interval: float = 0.25) -> None:
        import threading

        import psutil

        self._psutil = psutil
        self._interval = interval
        self._stop = threading.Event()
        self.peak_mb = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> float:
        me = self._psutil.Process()
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except self._psutil.Error:
                continue
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._sample())
            self._stop.wait(self._interval)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._sample())


def timed(fn, rounds: int) -> tuple[float, object]:
    """Median seconds of ``fn`` over ``rounds``, and its last result."""
    times, out = [], None
    for _ in range(rounds):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out
