"""The projection job's own verdict on Berlin's register at two levels: the 447 Planungsräume, each projected from
its own table by age, and the 138 Bezirksregionen, projected from their Planungsräume's age groups summed (the
register has no table of its own for them). Per age group and horizon the job's check: mean absolute percentage
error of the projection fitted at an earlier stand against the better of the last count and the trend, and
whether it beats both (the job serves the projection for an age group where it beats both at every horizon).

    .venv/bin/python benchmarks/projection_levels.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments.cases import berlin_population_store  # noqa: E402
from experiments.projection import run_projection  # noqa: E402
from ml.store import Store  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
LEVELS = ("planungsraum", "bezirksregion")


def main() -> None:
    if not SHARED.is_dir():
        sys.exit(f"real data not found: {SHARED}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = berlin_population_store(SHARED, Path(tmp))
        with Store(settings.store.path, read_only=True) as store:
            obs, regions = store.observations(), store.regions()
        verdicts, sizes, seconds = {}, {}, {}
        for level in LEVELS:
            mine = settings.model_copy(update={
                "projection": settings.projection.model_copy(update={"level": level}),
                "tracking": settings.tracking.model_copy(update={"uri": f"sqlite:///{tmp}/{level}.db"})})
            t0 = time.perf_counter()
            summary = run_projection(obs, regions, mine)
            seconds[level], sizes[level] = time.perf_counter() - t0, summary.n_regions
            verdicts[level] = summary.verdicts.set_index(["group", "horizon"])
    print("\n" + ", ".join(f"{lv}: {sizes[lv]} regions, {seconds[lv]:.1f} s" for lv in LEVELS) + "\n")
    print("| age group | years ahead | " + " | ".join(
        f"{lv}: projection MAPE | better rule | ratio | beats both" for lv in LEVELS) + " |")
    print("|---|---|" + "---|---|---|---|" * len(LEVELS))
    for key in verdicts[LEVELS[0]].index:
        cells = []
        for lv in LEVELS:
            r = verdicts[lv].loc[key]
            cells.append(f"{100 * r['projection']:.1f} % | {100 * r['better_baseline']:.1f} % ({r['baseline']}) | "
                         f"{r['ratio']:.2f} | {'yes' if r['beats_both'] else 'no'}")
        print(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
