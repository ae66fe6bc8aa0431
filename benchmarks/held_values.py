"""A table's column against the store's values of the indicator it is read as (:mod:`ml.held_values`), on the real
tables of ``../shared/data``.

    .venv/bin/python benchmarks/held_values.py [--keep DIR] [--seed 0]

Per data set (those of ``benchmarks/level_steps.py``, imported as an analyst would):

- *editions*: each edition of each indicator of a compared kind (share, rate, mean, index) against the
  indicator's other editions of the same definition, and the widest gap of any (in widths of the others' middle
  half; the bar is 1.5). An edition found apart is a false alarm unless the table's quantity changed (Berlin's MSS
  of 2007 writes another `Status 6` than 2009 and 2011, which `benchmarks/level_steps.py` finds);
- *other indicators*: one edition of each such indicator, at random, read as each other such indicator: how often
  the check says the values are not that indicator's (a column mapped to the wrong indicator);
- the time of the store's quartiles (``Store.held_values``) beside the store's region list that ``mapping suggest``
  read before (its anchor).

Then Berlin's core indicators per Bezirksregion of 2017 (codes `A4` … `E8`) suggested into the store of the MSS per
Bezirksregion (whose codebook writes `D1` … `D4` for changes over two years): the code matches without the store's
values (as before) and with them, and the time of both suggestions.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.level_steps import berlin_mss_old  # noqa: E402
from benchmarks.copied_cells import flensburg  # noqa: E402
from benchmarks.misplaced import DATA_SETS, SHARED, arguments, selection, store_dir  # noqa: E402
from ml.held_values import (GAP, KINDS, MIN_HELD, MIN_TABLE, HeldValues, apart_editions,  # noqa: E402
                            editions_and_others, gap, unlike)
from ml.store import Store  # noqa: E402


def other_indicators(obs, catalog, rng: np.random.Generator) -> tuple[int, int]:
    """(found apart, pairs): one random edition of each compared indicator read as each other one."""
    data = obs[obs["value"].notna() & np.isfinite(obs["value"].to_numpy(dtype=float))]
    inds = sorted(i for i in data["indicator_id"].unique() if i in catalog and catalog[i].kind in KINDS)
    values = {i: data.loc[data["indicator_id"] == i, ["period", "value"]] for i in inds}
    held = {i: HeldValues.of(v["value"].to_numpy(dtype=float)) for i, v in values.items() if len(v) >= MIN_HELD}
    found = pairs = 0
    for i in inds:
        periods = values[i]["period"].unique()
        edition = values[i].loc[values[i]["period"] == periods[rng.integers(len(periods))], "value"].to_numpy()
        if len(edition) < MIN_TABLE:
            continue
        for j in inds:
            if j == i or j not in held or not held[j].q75 > held[j].q25:
                continue
            pairs += 1
            found += unlike(edition, held[j], catalog[j].kind) is not None
    return found, pairs


def largest_gap(obs, catalog) -> tuple[float, str]:
    """The widest gap of any edition of a compared indicator from its other editions of the same definition, in
    widths of their middle half, and which edition it is: how close the data set's own editions come to the bar."""
    gaps = [(g[0], f"{ind} {p}") for ind, p, values, others in editions_and_others(obs, catalog, signed_only=False)
            if (g := gap(values, others, catalog[ind].kind)) is not None]
    best = max(gaps, default=(0.0, "–"))
    return best if best[0] > 0 else (0.0, "–")     # every edition overlapping its others: none to name


def core_indicators(cwd: Path) -> list[str]:
    """Berlin's core indicators of 2017, suggested into the store at ``cwd`` without and with the store's values."""
    from experiments.cli import _catalog
    from ml.config import load_settings
    from ml.suggest import suggest_mapping

    table = SHARED / "berlin_bzr_kernindikatoren_tsb" / "bzr_kernindikatoren_2017_long.csv"
    settings = load_settings(cwd / "sozialradar.yaml", env={})
    with Store(settings.store.path, read_only=True) as store:
        held, stored = store.catalogs_with_values(), store.held_values()
    catalog = _catalog(settings, held)
    rows = []
    for label, values in (("without the store's values (before)", None), ("with them", stored)):
        t0 = time.perf_counter()
        s = suggest_mapping(table, catalog, stored=values)
        took = time.perf_counter() - t0
        codes = ", ".join(f"{m.column} → {m.indicator_id}" for m in s.matches) or "none"
        rows.append(f"| {label} | {codes} | {took:.2f} s |")
    return ["| suggestion for the core indicators 2017 | code matches | time |", "|---|---|---|", *rows]


def main() -> None:
    args = arguments(__doc__, 0, "(none)")
    rng = np.random.default_rng(args.seed)
    data_sets = {"Berlin MSS 2007–2011 (older method), 447 PLR": berlin_mss_old,
                 "Flensburg Sozialatlas 2011–2022, 13 Stadtteile": flensburg, **DATA_SETS}
    rows, extra = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for label, build in data_sets.items():
            cwd = store_dir(args.keep or Path(tmp), build)
            rows.append(measure(label, cwd, rng))
            if "137 BZR" in label:
                extra = core_indicators(cwd)
            os.chdir(ROOT)
    print(f"Middle halves apart by more than {GAP} widths of the store's (kinds {', '.join(KINDS)}):\n")
    print("| data set | values | editions apart from the others | widest gap of an edition | other indicators "
          "found apart | quartiles (ours) | region list (anchor) | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if extra:
        print()
        print("\n".join(extra))


def measure(label: str, cwd: Path, rng: np.random.Generator) -> str:
    """One data set's row of the table."""
    _, _, (settings, catalog, obs, _) = selection(cwd)
    found = apart_editions(obs, catalog, signed_only=False)
    compared = obs[obs["indicator_id"].map(lambda i: i in catalog and catalog[i].kind in KINDS)]
    editions = compared.groupby(["indicator_id", "period"]).ngroups
    hit, pairs = other_indicators(obs, catalog, rng)
    gap, where = largest_gap(obs, catalog)
    with Store(settings.store.path, read_only=True) as store:
        t0 = time.perf_counter()
        store.held_values()
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        store.region_ids(), store.region_names(), store.catalogs_with_values()
        anchor = time.perf_counter() - t0
    named = "; ".join(f"{a.indicator_id} {a.period}" for a in found[:4]) + (" …" if len(found) > 4 else "")
    return (f"| {label} | {len(obs):,} | {len(found)} of {editions} ({named or '–'}) | {gap:.2f} ({where}) | "
            f"{hit} of {pairs} ({hit / max(pairs, 1):.0%}) | {ours * 1000:.0f} ms | {anchor * 1000:.0f} ms | "
            f"{ours / anchor:.1f}× |")


if __name__ == "__main__":
    main()
