from pathlib import Path

import pytest

from ml.config import ConfigError, Settings, load_settings


def test_defaults_live_in_one_place():
    s = load_settings(env={})
    assert s == Settings()
    assert s.privacy.min_count == 3
    assert s.privacy.min_population == 300
    assert s.ingest.max_quarantine_share == pytest.approx(0.05)
    assert s.tracking.uri.startswith("sqlite:///")


def test_file_then_environment_override(tmp_path: Path):
    cfg = tmp_path / "kreis.yaml"
    cfg.write_text("privacy:\n  min_count: 5\nstore:\n  path: /data/a.duckdb\n", encoding="utf-8")
    s = load_settings(cfg, env={"SOZIALRADAR_PRIVACY__MIN_COUNT": "7", "OTHER": "x"})
    assert s.privacy.min_count == 7
    assert s.store.path == Path("/data/a.duckdb")


def test_environment_list_values_are_parsed():
    s = load_settings(env={"SOZIALRADAR_CATALOG__INDICATORS": "[a.csv, b.csv]"})
    assert s.catalog.indicators == [Path("a.csv"), Path("b.csv")]


def test_a_year_written_as_a_number_is_a_period(tmp_path: Path):
    cfg = tmp_path / "kreis.yaml"
    cfg.write_text("training:\n  typology:\n    period: 2019\n", encoding="utf-8")
    s = load_settings(cfg, env={"SOZIALRADAR_TRAINING__CLASSIFIER__PERIOD": "2021"})
    assert s.training.typology.period == "2019" and s.training.classifier.period == "2021"
    assert s.privacy.min_count == 3     # numbers stay numbers where the setting is a number


def test_unknown_field_is_named(tmp_path: Path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("privacy:\n  min_cnt: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"privacy\.min_cnt"):
        load_settings(cfg, env={})


def test_a_faulty_setting_from_the_environment_names_its_variable(tmp_path: Path):
    """The message names the file; a setting that came from a variable is named by the variable, so that nobody
    searches the file for it."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text("privacy:\n  min_count: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={"SOZIALRADAR_MLFLOW__TRACKING_URI": "sqlite:///x.db"})
    assert "mlflow: Extra inputs" in str(err.value)
    assert "from the environment variable SOZIALRADAR_MLFLOW__TRACKING_URI" in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={"SOZIALRADAR_STORE__THREADS": "two"})
    assert "store.threads" in str(err.value) and "from the environment variable SOZIALRADAR_STORE__THREADS" in str(
        err.value)
    cfg.write_text("privacy:\n  min_count: many\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={"SOZIALRADAR_STORE__THREADS": "2"})
    assert "privacy.min_count" in str(err.value) and "environment" not in str(err.value)


def test_out_of_range_value_names_field_and_value():
    with pytest.raises(ConfigError, match=r"ingest\.max_quarantine_share.*got 2"):
        load_settings(env={"SOZIALRADAR_INGEST__MAX_QUARANTINE_SHARE": "2"})


def test_period_range_must_be_ordered():
    with pytest.raises(ConfigError, match="period_min .* must not exceed period_max"):
        load_settings(env={"SOZIALRADAR_INGEST__PERIOD_MIN": "2020", "SOZIALRADAR_INGEST__PERIOD_MAX": "2000"})


def test_malformed_environment_name():
    with pytest.raises(ConfigError, match="SOZIALRADAR_<SECTION>__<FIELD>"):
        load_settings(env={"SOZIALRADAR_STORE": "x"})


def test_missing_and_invalid_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.yaml", env={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mapping at the top level"):
        load_settings(bad, env={})
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(broken, env={})


def test_synthetic_years_checked():
    with pytest.raises(ConfigError, match="at least 5"):
        load_settings(env={"SOZIALRADAR_SYNTHETIC__FIRST_YEAR": "2020", "SOZIALRADAR_SYNTHETIC__LAST_YEAR": "2022"})


def test_resolved_is_plain_data():
    data = load_settings(env={}).resolved()
    assert data["privacy"] == {"min_count": 3, "min_population": 300, "secondary": False}
    assert isinstance(data["store"]["path"], str)


def test_reload_key_never_from_a_config_file(tmp_path):
    from ml.config import ConfigError, load_settings

    config = tmp_path / "c.yaml"
    config.write_text("serving:\n  api_key: geheim\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="SOZIALRADAR_SERVING__API_KEY"):
        load_settings(config, env={})
    assert load_settings(env={"SOZIALRADAR_SERVING__API_KEY": "aus-der-umgebung"}).serving.reload_key() == \
        "aus-der-umgebung"
    assert "aus-der-umgebung" not in str(load_settings(env={"SOZIALRADAR_SERVING__API_KEY": "aus-der-umgebung"}))


def test_reload_key_file_must_be_private(tmp_path):
    import os

    from ml.config import ConfigError, load_settings

    key = tmp_path / "reload.key"
    key.write_text("schluessel\n", encoding="utf-8")
    os.chmod(key, 0o644)
    settings = load_settings(env={"SOZIALRADAR_SERVING__API_KEY_FILE": str(key)})
    with pytest.raises(ConfigError, match="chmod 600"):
        settings.serving.reload_key()
    os.chmod(key, 0o600)
    assert settings.serving.reload_key() == "schluessel"
    assert load_settings(env={}).serving.reload_key() is None


def test_service_config_file_holds_no_key_and_is_private(tmp_path):
    import stat

    from experiments.serve import write_config
    from ml.config import load_settings

    settings = load_settings(env={"SOZIALRADAR_SERVING__API_KEY": "streng-geheim"})
    path = write_config(settings, tmp_path / "service.yaml")
    assert "streng-geheim" not in path.read_text(encoding="utf-8") and "api_key:" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings(path, env={}).serving.reload_key() is None
