"""Codebooks drafted into catalog files (:mod:`ml.codebook`), on the real codebooks of ``../shared/data``.

    .venv/bin/python benchmarks/codebook.py

Per codebook: the indicators read (rows of keys and years left out), the kinds, groups and polarities drafted, and
the time to read and draft. Where a catalog written by hand from the same codebook exists — the shipped
``data/catalog/inkar.csv``, written from INKAR's codebook — how many of the draft's kinds, groups and polarities are
the hand's (its anchor).

Then the walk of Berlin's core indicators per Bezirksregion: the LOR key as a region list, the codebook drafted, the
table's suggestion: how many of the table's 23 codes the suggestion maps with the draft (the anchor: none without
a catalog of the table's own), the rows the import accepts, and the lines an analyst writes by hand before the
profiles run, with the draft and without it (a catalog row per indicator).
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.catalog import CATALOG_DIR, load_catalog, read_indicators  # noqa: E402
from ml.codebook import draft_catalog, read_codebook  # noqa: E402
from ml.config import CatalogConfig  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
CODEBOOKS = {
    "Berlin core indicators per BZR (JSON)": (SHARED / "berlin_bzr_kernindikatoren_tsb" / "indikatorenOverview.json",
                                              "bzr_", None),
    "INKAR Kreise 1995–2022 (CSV)": (SHARED / "germany_kreise_inkar_gerda" / "county_covariates_codebook.csv",
                                     "inkar_", CATALOG_DIR / "inkar.csv"),
    "Zensus 2022 per Gemeinde (CSV)": (SHARED / "germany_kreise_inkar_gerda" / "municipality_census2022_codebook.csv",
                                       "zensus_", None),
}


def main() -> None:
    cfg = CatalogConfig()
    catalog = load_catalog(cfg.dimensions, cfg.indicators)
    print("| codebook | indicators | kinds drafted | groups from the codebook / a shipped peer / guessed | "
          "polarity taken | kind, group, polarity as the hand's (anchor) | read and draft |")
    print("|---|---|---|---|---|---|---|")
    for label, (path, prefix, hand) in CODEBOOKS.items():
        t0 = time.perf_counter()
        drafts = draft_catalog(read_codebook(path), catalog, prefix=prefix, source=path.name)
        took = time.perf_counter() - t0
        kinds = Counter(d.row["kind"] for d in drafts)
        why = Counter("codebook" if d.group_why.startswith("the codebook") else "guessed"
                      if d.group_why.startswith("guessed") else "peer" for d in drafts)
        taken = sum(d.row["polarity"] != "0" for d in drafts)
        agree = "–"
        if hand is not None:
            held = {i.indicator_id: i for i in read_indicators(hand, catalog.dimensions)}
            both = [(d.row, held[d.row["indicator_id"]]) for d in drafts if d.row["indicator_id"] in held]
            kinds_, groups = (sum(r[c] == getattr(h, a) for r, h in both) for c, a in (("kind", "kind"),
                                                                                      ("dimension", "dimension")))
            agree = f"{kinds_} / {groups} / {sum(int(r['polarity']) == h.polarity for r, h in both)} of {len(both)}"
        print(f"| {label} | {len(drafts)} | {', '.join(f'{k} {n}' for k, n in kinds.most_common())} | "
              f"{why['codebook']} / {why['peer']} / {why['guessed']} | {taken} | {agree} | {took * 1000:.0f} ms |")
    print()
    walk()


def walk() -> None:
    """The core indicators from raw files to profiles, through the command line."""
    from click.testing import CliRunner

    from experiments.cli import main as cli

    folder = SHARED / "berlin_bzr_kernindikatoren_tsb"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        own = tmp / "kern.csv"
        config = tmp / "sozialradar.yaml"
        config.write_text(f"store:\n  path: {tmp / 's.duckdb'}\ncatalog:\n  indicators: [{own}]\nfeatures:\n"
                          f"  level: bezirksregion\n  reference_level: null\n  output_dir: {tmp / 'f'}\n  index:\n"
                          "    status_indicators: [bzr_arbeitslose, bzr_empfaenger_transferleistungen, "
                          "bzr_empfaenger_transferleistungen_unter_15]\n", encoding="utf-8")

        def run(*args: object) -> str:
            out = CliRunner().invoke(cli, ["--config", str(config), *map(str, args)],
                                     env={"SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q")})
            if out.exit_code:
                raise SystemExit(f"{' '.join(map(str, args))}: {out.output}")
            return out.output

        t0 = time.perf_counter()
        run("mapping", "codebook", folder / "indikatorenOverview.json", "--prefix", "bzr_", "--out", own)
        drafted = time.perf_counter() - t0
        key = folder / "preprocessed_lor_447plr_hierarchy.csv"
        run("mapping", "suggest", key, "--regions", "--out", tmp / "lor.yaml")
        run("ingest", key, "--mapping", tmp / "lor.yaml")
        with own.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        index = ("bzr_arbeitslose", "bzr_empfaenger_transferleistungen", "bzr_empfaenger_transferleistungen_unter_15")
        for row in rows:
            row["polarity"] = "1" if row["indicator_id"] in index else row["polarity"]
        with own.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        table = folder / "bzr_kernindikatoren_2017_long.csv"
        run("mapping", "suggest", table, "--out", tmp / "k.yaml")
        mapping = (tmp / "k.yaml").read_text(encoding="utf-8")
        mapped = mapping.count("(score 1.00)")
        (tmp / "k.yaml").write_text(mapping.replace("#  'DA1': ?   # no match", "  'DA1': einwohner"),
                                    encoding="utf-8")
        imported = [line.strip() for line in run("ingest", table, "--mapping", tmp / "k.yaml").splitlines()
                    if line.strip().startswith("read ")][0]
        profiles = [line for line in run("features").splitlines() if line.startswith("engine")][0]
    print("| step | with the draft | without (anchor) |")
    print("|---|---|---|")
    print(f"| catalog file of the table's own | `mapping codebook`: {len(rows)} rows in {drafted:.1f} s | "
          f"{len(rows)} rows written by hand |")
    print(f"| codes the suggestion maps (of 23) | {mapped} | 0 |")
    print(f"| lines written by hand before `features` | {len(index)} polarity cells + 1 mapping line (DA1) | "
          f"{len(rows)} catalog rows + 1 mapping line |")
    print(f"| import | {imported} | – |")
    print(f"| profiles | {profiles.split(';')[0]} | – |")


if __name__ == "__main__":
    main()
