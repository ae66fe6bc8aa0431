"""Real-data cases shared by tests and benchmarks: inputs built from ``../shared/data``."""

from __future__ import annotations

from pathlib import Path

from features.pipeline import run_pipeline
from ml.catalog import effective_catalog
from ml.config import load_settings
from ml.crosswalk import read_crosswalk
from ml.importers import ingest_file, load_mapping
from ml.paths import CATALOG_DIR, DATA_DIR
from ml.store import Store


def _berlin_settings(tmp: Path, store: str):
    return load_settings(DATA_DIR / "config" / "berlin_mss.yaml", env={
        "SOZIALRADAR_STORE__PATH": str(tmp / store), "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q"),
        "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp}/mlflow.db"})


def berlin_mss_profiles(shared: Path, tmp: Path, years=(2013, 2015, 2017, 2019), context: bool = False,
                        later: tuple[Path, ...] = ()):
    """Settings, catalog, profiles, model matrix and feature values of Berlin's 542 PLR for the MSS editions
    ``years`` (447-PLR grid, mapped by the crosswalk) and 2021 (with its context indicators where ``context``;
    the older editions carry theirs), and the tables of the editions ``later`` (MSS tables on the 542-PLR grid, as
    the Senate or the open-data project publish them); store and MLflow database in ``tmp``."""
    settings = _berlin_settings(tmp, "b.duckdb")
    names = ("mss_2021_index_indikatoren.csv", "mss_2021_indizes.csv") + (
        ("mss_2021_kontext_indikatoren.csv",) if context else ())
    files = [shared / "berlin_mss" / "tesch-ch" / n for n in names]
    files += [shared / "berlin_mss_447plr_cschwab1" / f"{y}_MSS_cut.csv" for y in years]
    with Store(settings.store.path) as store:
        for f in [*files, *later]:
            rep = ingest_file(f, store, settings)
            if rep.status != "ok":
                raise RuntimeError(f"{f}: {rep.status} {rep.message}")
        obs, regions = store.observations(), store.regions()
    catalog = effective_catalog(settings, [CATALOG_DIR / "berlin_mss.csv"])
    inputs = obs[~obs["indicator_id"].isin(["mss_status_klasse", "mss_dynamik_klasse"])]
    cw = read_crosswalk(shared / "berlin_lor_crosswalk_gentriduck" / "seed_lor_crosswalk_2006_to_2021.csv")
    result = run_pipeline(inputs, regions, catalog, settings, crosswalk=cw)
    new = set(cw["new_id"])
    keep = lambda f: f[f["region_id"].isin(new)].reset_index(drop=True)  # noqa: E731
    return settings, catalog, keep(result.profiles), keep(result.model), keep(result.values)


def berlin_2021_context(shared: Path, tmp: Path):
    """Settings, catalog, the pipeline's result and the ids of the 17 context indicators of Berlin's MSS 2021 (542
    PLR; index indicators, indices and context indicators ingested); store and MLflow database in ``tmp``."""
    settings = _berlin_settings(tmp, "b2021.duckdb")
    folder = shared / "berlin_mss" / "tesch-ch"
    with Store(settings.store.path) as store:
        for name in ("mss_2021_index_indikatoren.csv", "mss_2021_indizes.csv", "mss_2021_kontext_indikatoren.csv"):
            rep = ingest_file(folder / name, store, settings)
            if rep.status != "ok":
                raise RuntimeError(f"{name}: {rep.status} {rep.message}")
        obs, regions = store.observations(), store.regions()
    catalog = effective_catalog(settings, [CATALOG_DIR / "berlin_mss.csv"])
    context = sorted(i for i in set(obs["indicator_id"]) if i.startswith("mss_k"))
    return settings, catalog, run_pipeline(obs, regions, catalog, settings), context


def musterkreis_profiles(tmp: Path, sample_dir: Path | None = None):
    """Settings, catalog and pipeline result of the embedded Musterkreis (or of a county written by
    ``sozialradar generate`` to ``sample_dir``); store and MLflow database in ``tmp``."""
    from ml.paths import SAMPLE_DIR

    sample_dir = sample_dir or SAMPLE_DIR
    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp / "s.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q"),
                                  "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp / 'mlflow.db'}"})
    with Store(settings.store.path) as store:
        for name in ("regions.csv", "observations.parquet"):
            rep = ingest_file(sample_dir / name, store, settings)
            if rep.status != "ok":
                raise RuntimeError(f"{name}: {rep.status} {rep.message}")
        obs, regions = store.observations(), store.regions()
    catalog = effective_catalog(settings)
    return settings, catalog, run_pipeline(obs, regions, catalog, settings)


def berlin_447_store(shared: Path, tmp: Path, years=(2017, 2019)):
    """A store of Berlin's 447 old-grid PLR ready to serve: MSS editions ``years`` ingested, profiles computed
    and written, and the PLR polygons of ``berlin_lor_geometry`` stored. Returns the settings (store and
    MLflow database in ``tmp``; no models are trained, so the service answers without early warnings)."""
    from ml.geometry import read_geojson, store_geometry

    settings = _berlin_settings(tmp, "berlin447.duckdb")
    catalog = effective_catalog(settings, [CATALOG_DIR / "berlin_mss.csv"])
    with Store(settings.store.path) as store:
        for y in years:
            f = shared / "berlin_mss_447plr_cschwab1" / f"{y}_MSS_cut.csv"
            rep = ingest_file(f, store, settings)
            if rep.status != "ok":
                raise RuntimeError(f"{f}: {rep.status} {rep.message}")
        obs, regions = store.observations(), store.regions()
        inputs = obs[~obs["indicator_id"].isin(["mss_status_klasse", "mss_dynamik_klasse"])]
        result = run_pipeline(inputs, regions, catalog, settings)
        store.replace_table("feature_values", result.values)
        store.replace_table("profiles", result.profiles)
        store.replace_table("model_matrix", result.model)
        geometry = read_geojson(shared / "berlin_lor_geometry" / "lor_planungsraeume_until2020_447_simplified.geojson")
        store_geometry(store, geometry)
    return settings


def inkar_profiles(shared: Path, tmp: Path, source: Path | None = None):
    """Settings, catalog and pipeline result of Germany's 400 Kreise from INKAR (1995–2022; or the export
    ``source`` of the same shape) with the configuration ``data/config/inkar_kreise.yaml``; store and MLflow
    database in ``tmp``."""
    settings = load_settings(DATA_DIR / "config" / "inkar_kreise.yaml", env={
        "SOZIALRADAR_STORE__PATH": str(tmp / "s.duckdb"), "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q"),
        "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp}/mlflow.db"})
    with Store(settings.store.path) as store:
        source = source or shared / "germany_kreise_inkar_gerda" / "county_covariates_inkar_1995_2022.csv"
        rep = ingest_file(source, store, settings, fmt="inkar")
        if rep.status != "ok":
            raise RuntimeError(f"{source}: {rep.status} {rep.message}")
        obs, regions = store.observations(), store.regions()
    catalog = effective_catalog(settings, [CATALOG_DIR / "inkar.csv"])
    return settings, catalog, run_pipeline(obs, regions, catalog, settings)


def census_county_store(shared: Path, tmp: Path, land: str = "10"):
    """A county without a status index, as a new analyst builds it from the Zensus 2022 per Gemeinde: the
    Gemeinden of one Land (``land``: the AGS's first two digits; Saarland's 52 by default) with their Kreise
    created from the AGS, the values as ``mapping suggest`` maps them, profiles, and a typology of the 65+ share,
    the foreigners' share and the household size. Returns the settings (store, MLflow database in ``tmp``)."""
    from experiments.jobs import features_job, typology_job
    from ml.suggest import suggest_mapping

    config = tmp / "kreis.yaml"
    config.write_text("training:\n  typology:\n    features: [anteil_65plus, auslaender_anteil, haushaltsgroesse]\n"
                      "    k_min: 2\n    k_max: 5\n", encoding="utf-8")
    settings = load_settings(config, env={
        "SOZIALRADAR_STORE__PATH": str(tmp / "kreis.duckdb"), "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q"),
        "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp}/mlflow.db", "SOZIALRADAR_FEATURES__OUTPUT_DIR": str(tmp / "f")})
    source = shared / "germany_kreise_inkar_gerda" / "municipality_census2022.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    table = tmp / "zensus_2022.csv"
    table.write_text("\n".join([lines[0]] + [line for line in lines[1:] if line.startswith(land)]) + "\n",
                     encoding="utf-8")
    regions = tmp / "gemeinden.yaml"
    regions.write_text("format: regions\nregion_column: ags\nlevel: gemeinde\nparent_code: 5\nparent_level: kreis\n",
                       encoding="utf-8")
    values = tmp / "zensus.yaml"
    values.write_text(suggest_mapping(table, effective_catalog(settings, [])).to_yaml(), encoding="utf-8")
    with Store(settings.store.path) as store:
        for mapping in (regions, values):
            rep = ingest_file(table, store, settings, mapping=load_mapping(mapping))
            if rep.status != "ok":
                raise RuntimeError(f"{table} with {mapping.name}: {rep.status} {rep.message}")
    features_job(settings)
    typology_job(settings)
    return settings


EWR_DIR = "berlin_ewr_plr_cschwab1"
"""Berlin's resident register matrices per old PLR (stands 31.12.2001–2018, folders named by the year after)."""


def berlin_population_store(shared: Path, tmp: Path, folders: tuple[str, ...] | None = None):
    """A store of Berlin's 447 old-grid PLR with their residents by age group from the register matrices
    (``EWR…E_Matrix.csv``) of ``folders`` (None: all), read as any county's table by age; the region list
    (PLR → Bezirksregion → Bezirk) written from the LOR geometry's names. Returns the settings."""
    import csv
    import json

    settings = _berlin_settings(tmp, "berlin_population.duckdb")
    geo = shared / "berlin_lor_geometry"
    rows = []
    for name, level, parent in (("berlin_bezirke_12_simplified.geojson", "bezirk", None),
                                ("lor_bezirksregionen_until2020_138_simplified.geojson", "bezirksregion", 2),
                                ("lor_planungsraeume_until2020_447_simplified.geojson", "planungsraum", 6)):
        seen = set()
        for feat in json.loads((geo / name).read_text(encoding="utf-8"))["features"]:
            p = feat["properties"]
            if p["id"] not in seen:          # an exclave is a second feature of the same region
                seen.add(p["id"])
                rows.append((p["id"], p["name"], level, p["id"][:parent] if parent else ""))
    # a Planungsraum of the register without a polygon in the simplified geometry keeps its code as its name
    known = {r[0] for r in rows}
    latest = sorted((shared / EWR_DIR).glob("*/EWR*E_Matrix.csv"))[-1]
    for line in latest.read_text(encoding="utf-8").splitlines()[1:]:
        code = line.split(";")[1].strip('"').zfill(8)
        if code not in known:
            known.add(code)
            rows.append((code, f"Planungsraum {code}", "planungsraum", code[:6]))
    tmp.mkdir(parents=True, exist_ok=True)
    region_file = tmp / "berlin_lor_447.csv"
    with region_file.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["region_id", "name", "level", "parent_id"])
        w.writerows(rows)
    from ml.importers import Mapping

    chosen = sorted(p.name for p in (shared / EWR_DIR).iterdir() if p.is_dir()) if folders is None else folders
    with Store(settings.store.path) as store:
        rep = ingest_file(region_file, store, settings)
        if rep.status != "ok":
            raise RuntimeError(f"{region_file}: {rep.status} {rep.message}")
        for folder in chosen:
            for f in sorted((shared / EWR_DIR / folder).glob("EWR*E_Matrix.csv")):
                rep = ingest_file(f, store, settings, mapping=Mapping(region_code_width=8))
                if rep.status != "ok":
                    raise RuntimeError(f"{f}: {rep.status} {rep.message}")
    return settings
