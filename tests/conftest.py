"""Shared fixtures: a configuration pointing into a temporary directory, a real DuckDB store file,
the embedded sample, and the real open data beside the project (tests using it skip with a reason
when ``../shared/data`` is absent)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from ml.catalog import load_catalog
from ml.config import Settings, load_settings
from ml.paths import PROJECT_ROOT
from ml.catalog import effective_catalog
from ml.importers import ingest_file
from ml.paths import SAMPLE_DIR
from ml.store import Store

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(env={
        "SOZIALRADAR_STORE__PATH": str(tmp_path / "store" / "monitoring.duckdb"),
        "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp_path / "quarantine"),
    })


@pytest.fixture
def catalog(settings: Settings):
    return load_catalog(settings.catalog.dimensions, settings.catalog.files())


@pytest.fixture
def store(settings: Settings):
    with Store(settings.store.path) as st:
        yield st


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real open data not present at {SHARED_DATA}")
    return SHARED_DATA


def cli_with(config: Path, reports: Path):
    """A function that runs the command line with ``config`` (quarantine reports under ``reports``), asserts its
    exit code (0 unless ``code=`` names another) and returns the output."""
    from click.testing import CliRunner

    from experiments.cli import main

    def run(*args, code: int = 0) -> str:
        out = CliRunner().invoke(main, ["--config", str(config), *map(str, args)], catch_exceptions=False,
                                 env={"SOZIALRADAR_INGEST__REPORT_DIR": str(reports)})
        assert out.exit_code == code, out.output
        return out.output

    return run


def zuordnung_by_area(shared: Path, path: Path, every_old: bool = False):
    """Berlin's 542 new Planungsräume, each with the old one most of its area came from, written to ``path`` as an
    office lists them in a 'Zuordnung alt – neu' without weights (from the area-weighted crosswalk in ``shared`` and
    the old areas' size); with ``every_old`` also each old area that is no new one's main source, with the new area
    most of its own area went to. Returns the area-weighted crosswalk."""
    import json

    import pandas as pd

    from ml.crosswalk import read_crosswalk

    cw = read_crosswalk(shared / "berlin_lor_crosswalk_gentriduck" / "seed_lor_crosswalk_2006_to_2021.csv")
    geo = json.loads((shared / "berlin_lor_geometry" / "lor_planungsraeume_until2020_447_simplified.geojson")
                     .read_text(encoding="utf-8"))
    area = {f["properties"]["id"]: f["properties"]["area"] for f in geo["features"]}
    cw["part"] = cw["weight"] * cw["old_id"].map(area)
    ranked = cw.sort_values("part", ascending=False)
    main = ranked.drop_duplicates("new_id")
    if every_old:
        rest = ranked[~ranked["old_id"].isin(set(main["old_id"])) & ranked["part"].notna()].drop_duplicates("old_id")
        main = pd.concat([main, rest])
    main = main.sort_values(["new_id", "old_id"])
    path.write_text("PLR alt;PLR neu\n" + "".join(f"{o};{n}\n" for o, n in zip(main["old_id"], main["new_id"])),
                    encoding="utf-8")
    return cw


def write_xls(path, sheets: dict):
    """Rows of cells written as an Excel 97-2003 workbook, a sheet per entry (empty cells left out)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is not None and value != "":
                    sheet.write(i, j, value)
    book.save(str(path))
    return path


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="module")
def sample_inputs(tmp_path_factory):
    """Observations and regions of the embedded Musterkreis, as read back from a real store file."""
    tmp = tmp_path_factory.mktemp("sample")
    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp / "s.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q")})
    with Store(settings.store.path) as store:
        for name in ("regions.csv", "observations.parquet"):
            assert ingest_file(SAMPLE_DIR / name, store, settings).status == "ok"
        obs, regions = store.observations(), store.regions()
    return settings, effective_catalog(settings), obs, regions


def _once_per_session(tmp_path_factory, group: str) -> None:
    """Fail where a second xdist worker is about to run what the group ``group`` shares: ``--dist loadgroup``
    keeps a group on one worker, and when it silently stops doing so (pytest 9.2 with pytest-xdist 3.8,
    pytest-dev/pytest-xdist#1386) every worker would run the whole demo again."""
    import os

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return
    claim = tmp_path_factory.getbasetemp().parent / f"xdist-group-{group}"
    try:
        fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        pytest.fail(f"the tests of group {group!r} run on two workers ({claim.read_text()} and {worker}): run "
                    f"pytest with '--dist loadgroup' (python3 dev.py test does), with a pytest that keeps its "
                    f"groups (requirements.lock)", pytrace=False)
    os.write(fd, worker.encode())
    os.close(fd)


def mlflow_run(entry: str, env: dict, *params: str) -> tuple[str, str]:
    """``mlflow run . -e ENTRY --env-manager local`` as an analyst runs it: the id of the run it started and the
    job's output."""
    import re
    import subprocess
    import sys

    args = [str(Path(sys.executable).parent / "mlflow"), "run", str(PROJECT_ROOT), "-e", entry, "--env-manager", "local"]
    for p in params:
        args += ["-P", p]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"{entry}: {proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return re.search(r"=== Run \(ID '([0-9a-f]+)'\) succeeded ===", proc.stderr).group(1), proc.stdout


def mlflow_env(tracking: Path, **settings: str) -> dict:
    """The environment of an ``mlflow run``: nothing of this process's own MLflow state (an earlier test's
    experiment id …) or configuration, the tracking store ``tracking`` (SQLite) and ``settings``
    (``SOZIALRADAR_…`` variables)."""
    import os
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "SOZIALRADAR_"))}
    uri = f"sqlite:///{tracking}"
    return {**clean, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "MLFLOW_TRACKING_URI": uri, "SOZIALRADAR_TRACKING__URI": uri, **settings}


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The whole demo once per test session, as the MLproject's entry point runs it (``mlflow run . -e demo``;
    its jobs join that run and its children), the service on a free port, stopped after the example requests:
    its work directory and output. Its tracking store is ``mlflow.db`` beside the work directory."""
    from experiments.serve import free_port

    _once_per_session(tmp_path_factory, "demo")
    workdir = tmp_path_factory.mktemp("demo") / "demo"
    env = mlflow_env(workdir.parent / "mlflow.db", SOZIALRADAR_STORE__PATH=str(workdir.parent / "unused.duckdb"),
                     SOZIALRADAR_SERVING__PORT=str(free_port()))
    _, output = mlflow_run("demo", env, f"workdir={workdir}", "serve_for=0")
    return workdir, output


@pytest.fixture(scope="session")
def demo_settings(demo_run):
    """Settings that point at the demo's store and MLflow registry."""
    workdir, _ = demo_run
    return load_settings(env={"SOZIALRADAR_STORE__PATH": str(workdir / "monitoring.duckdb"),
                              "SOZIALRADAR_TRACKING__URI": f"sqlite:///{workdir.parent / 'mlflow.db'}",
                              "SOZIALRADAR_SERVING__API_KEY": "test-key",
                              "SOZIALRADAR_SERVING__CORS_ORIGINS": "[http://dashboard.example]"})


@pytest.fixture(scope="session")
def demo_server(demo_run, demo_settings, tmp_path_factory):
    """A real ``bentoml serve`` of the demo's store and champions on a free localhost port: its base URL."""
    with served(demo_settings, tmp_path_factory.mktemp("serve")) as base:
        yield base


@contextlib.contextmanager
def served(settings, tmp: Path):
    """``bentoml serve`` on a free localhost port for the store and champions of ``settings``, ready: its base
    URL; stopped on leaving."""
    from experiments import serve as service

    settings = settings.model_copy(update={"serving": settings.serving.model_copy(update={"port": service.free_port()})})
    config = service.write_config(settings, tmp / "service.yaml")
    proc, base = service.start(settings, config, log=tmp / "service.log")
    try:
        service.wait_ready(base, proc)
        yield base
    finally:
        service.stop(proc)
