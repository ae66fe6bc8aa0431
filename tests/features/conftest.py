import pytest

from ml.importers import effective_catalog, ingest_file
from ml.paths import SAMPLE_DIR
from ml.store import Store


@pytest.fixture(scope="module")
def sample_inputs(tmp_path_factory):
    """Observations and regions of the embedded Musterkreis, as read back from a real store file."""
    from ml.config import load_settings

    tmp = tmp_path_factory.mktemp("sample")
    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp / "s.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q")})
    with Store(settings.store.path) as store:
        for name in ("regions.csv", "observations.parquet"):
            assert ingest_file(SAMPLE_DIR / name, store, settings).status == "ok"
        obs, regions = store.observations(), store.regions()
    return settings, effective_catalog(settings), obs, regions
