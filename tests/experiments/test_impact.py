"""The impact job on the Musterkreis: its register of measures evaluated, an effect planted into one Gemeinde's
series found with the right sign, no effect claimed where the sample holds none, every result stored and
explained in German."""

import json

import pandas as pd
import pytest
from mlflow import MlflowClient

from experiments.cases import musterkreis_profiles
from experiments.jobs import JobError, impact_job
from ml.importers import ingest_file
from ml.io import write_table
from ml.store import Store
from ml.synthetic import measure_register
from ml.tracking import tracking_uri


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("impact")
    settings, _, result = musterkreis_profiles(tmp)
    with Store(settings.store.path) as store:
        store.replace_table("feature_values", result.values)
        store.replace_table("profiles", result.profiles)
        store.replace_table("model_matrix", result.model)
        register = measure_register(store.regions(), store.observations())
        assert ingest_file(write_table(register, tmp / "massnahmen.csv"), store, settings).status == "ok"
    return settings, result, register, tmp


def test_the_register_evaluated(county):
    settings, _, register, _ = county
    summary = impact_job(settings)
    t = summary.table
    done = register[register["Status"] == "umgesetzt"]
    expected = sum(len(r["Gebiete"].split(",")) * len(r["Zielindikatoren"].split("|")) for _, r in done.iterrows())
    assert len(t) == expected and set(t["measure_id"]) == set(done["Maßnahme"])
    shown = t[t["withheld"].isna()]
    assert len(shown) >= 4 and (shown["lower"] <= shown["effect"]).all() and (shown["effect"] <= shown["upper"]).all()
    # the sample holds no effect of any measure: at most one estimate in ten may look like one
    assert shown["distinguishable"].mean() <= 0.2
    for text in t["sentence"]:
        assert text.startswith(("Seit Beginn der Maßnahme", "Von Beginn der Maßnahme", "Im ersten Jahr der Maßnahme",
                                "Für ", "Keine Schätzung"))
    assert all(("ähnlicher Gebiete ohne Maßnahme" in s or "einem ähnlichen Gebiet ohne Maßnahme" in s)
               for s in shown["sentence"])
    assert set(t["metric"]) <= {"gmlvq", "euclid"} and "gmlvq" in set(t["metric"])
    with Store(settings.store.path, read_only=True) as store:
        stored = store.table("impacts")
    assert len(stored) == len(t) and stored["run_id"].nunique() == 1
    run = MlflowClient(tracking_uri(settings.tracking.uri)).get_run(summary.run_id)
    assert run.data.metrics["estimates"] == len(shown) and run.info.run_name == "impact"
    # 'store info' names the register and what was made of it
    from experiments.store_summary import registers_summary

    with Store(settings.store.path, read_only=True) as store:
        lines = registers_summary(store)
    assert lines[0].startswith(f"measures: {len(register)} (umgesetzt {len(done)}")
    assert lines[1] == (f"  effects estimated: {len(shown)} of {len(t)} (measure, region, indicator); "
                        f"{int(shown['distinguishable'].sum())} told apart from noise, {len(t) - len(shown)} withheld "
                        "with their reason")


def test_a_planted_effect_is_found(county):
    settings, result, register, tmp = county
    # the town of the register's measure on transfer receipt: its rate is measured on many residents
    first = register[(register["Status"] == "umgesetzt") & (register["Zielindikatoren"] == "sgb2_quote")].iloc[0]
    region, start = first["Gebiete"].split(",")[0], int(first["Beginn"])
    indicator = first["Zielindikatoren"].split("|")[0]
    values = result.values.copy()
    year = pd.to_numeric(values["period"].astype(str), errors="coerce")     # monthly periods are not years
    hit = (values["region_id"] == region) & (values["indicator_id"] == indicator) & (year >= start)
    series = values.loc[(values["region_id"] == region) & (values["indicator_id"] == indicator), "value"]
    planted = -0.5 * float(series.mean())               # the measure halves the rate from its start
    values.loc[hit, "value"] = values.loc[hit, "value"] + planted
    with Store(settings.store.path) as store:
        store.replace_table("feature_values", values)
    try:
        t = impact_job(settings).table
    finally:
        with Store(settings.store.path) as store:
            store.replace_table("feature_values", result.values)
    row = t[(t["measure_id"] == first["Maßnahme"]) & (t["region_id"] == region) & (t["indicator_id"] == indicator)].iloc[0]
    assert pd.isna(row["withheld"]) and row["distinguishable"] and row["effect"] < 0
    assert row["lower"] <= planted <= row["upper"]
    assert "unter dem Verlauf vergleichbarer Gebiete" in row["sentence"] and "entspricht dem Ziel" in row["sentence"]
    assert sum(json.loads(row["weights"]).values()) == pytest.approx(1.0, abs=1e-3)


def test_a_measure_for_a_sozialregion_reaches_each_of_its_gemeinden(county, tmp_path):
    """A register names a Sozialregion; the profiles are per Gemeinde: each of its Gemeinden is estimated, none of
    them is a donor of another, and each Gemeinde's page and /measures list the measure."""
    from experiments.export import export_table
    from ml.catalog import serving_catalog
    from serving.demography import measure_rows
    from serving.state import read_snapshot

    settings, _, register, _ = county
    with Store(settings.store.path) as store:
        regions = store.regions()
        sr = regions[regions["level"] == "sozialregion"].iloc[0]
        members = set(regions.loc[regions["parent_id"] == sr["region_id"], "region_id"])
        extra = pd.DataFrame([{"Maßnahme": "M90", "Titel": "Sozialraumteam", "Handlungsfeld": "Teilhabe",
                               "Gebiete": sr["name"], "Beginn": 2020, "Ende": "", "Kosten pro Jahr": 200000,
                               "Status": "umgesetzt", "Zielindikatoren": "sgb2_quote", "Richtung": "senken"}])
        assert ingest_file(write_table(pd.concat([register, extra]), tmp_path / "m.csv"), store, settings).status == "ok"
    try:
        t = impact_job(settings).table
        snap = read_snapshot(settings, serving_catalog(settings))
        with Store(settings.store.path, read_only=True) as store:
            exported = export_table("measures", store, serving_catalog(settings))
    finally:
        with Store(settings.store.path) as store:
            store.con.execute("DELETE FROM measures WHERE measure_id = 'M90'")
    rows = t[t["measure_id"] == "M90"]
    assert set(rows["region_id"]) == members and len(members) >= 3
    shown = rows[rows["withheld"].isna()]
    assert len(shown) >= 2
    for weights in shown["weights"]:
        assert not set(json.loads(weights)) & members          # no Gemeinde of the Sozialregion is a donor
    member = sorted(members)[0]
    assert "Sozialraumteam" in [r["title"] for r in measure_rows(snap, member)]
    # where another carried-out measure works on the same indicator in a Gemeinde, the two are told apart by their
    # starts: the later one net of the earlier (its twin fitted before the earlier began), the earlier up to the year
    # before the later one's start
    on_sgb2 = register[(register["Status"] == "umgesetzt") & register["Zielindikatoren"].str.contains("sgb2_quote")]
    overlap = {g for gs in on_sgb2["Gebiete"] for g in gs.split(",")} & set(shown["region_id"])
    assert overlap                 # Kranichwalde: M03 (transfer receipt, 2019) and the Sozialregion's measure (2020)
    earlier = on_sgb2.set_index("Maßnahme")
    for _, r in shown.iterrows():
        net = "zu dem Abstand hinzukam, den in" in r["sentence"]
        assert net == (r["region_id"] in overlap), r["sentence"]
        assert (r["net_of"] != "") == net and "trennt sie nicht" not in r["sentence"]
        if net:
            assert all(f"{m} „{earlier.at[m, 'Titel']}“ (seit {earlier.at[m, 'Beginn']})" in r["sentence"]
                       for m in r["net_of"].split(","))
    first = t[(t["measure_id"].isin(earlier.index)) & t["region_id"].isin(overlap) & (t["indicator_id"] == "sgb2_quote")
              & t["withheld"].isna()]
    assert len(first) >= 1
    for _, r in first.iterrows():
        assert r["window_end"] == "2019" and r["sentence"].startswith("Im ersten Jahr der Maßnahme (2019)")
        assert "Geschätzt bis 2019: ab 2020 wirkt in" in r["sentence"] and "M90 „Sozialraumteam“" in r["sentence"]
    # the export keeps the register's row for the Sozialregion, with the sentences of its Gemeinden
    row = exported[exported["Maßnahme"] == "M90"]
    names = regions.set_index("region_id")["name"]
    assert len(row) == 1 and row["Gebiet"].iloc[0] == sr["region_id"]
    assert all(f" in {names[g]} " in row["Wirkung"].iloc[0] for g in shown["region_id"])


def test_nothing_to_evaluate(county, settings, store):
    store.close()
    with pytest.raises(JobError, match="no profiles yet"):
        impact_job(settings)
    s, _, _, _ = county
    none = s.model_copy(update={"impact": s.impact.model_copy(update={"statuses": ["abgelehnt", "vorgeschlagen"]})})
    summary = impact_job(none)
    assert set(summary.table["measure_id"]) == {"M06", "M07"}   # what the proposed and the rejected ones would do


def test_the_window_of_a_measure_among_others_in_its_region():
    """Its own end and a later measure's start close the window; earlier measures still running are netted out
    from the first of their starts; a measure starting in the same year stays inseparable."""
    from collections import namedtuple

    from experiments.impact import _window

    M = namedtuple("M", "measure_id title start end")
    me = M("M1", "Stadtteilmütter", 2018, float("nan"))
    assert (w := _window(me, "2018", 2025, [])).end == "2025" and w.fit_until == "2018" and w.note("Au") == ""
    assert w.open and w.since == "Seit Beginn der Maßnahme"
    assert (w := _window(me._replace(end=2021), "2018", 2025, [])).end == "2021" and not w.open
    assert w.since == "Von Beginn der Maßnahme (2018) bis 2021"
    assert _window(me._replace(end=2018), "2018", 2025, []).since == "Im ersten Jahr der Maßnahme (2018)"
    assert _window(me._replace(end=2030), "2018", 2025, []).end == "2025"
    later, earlier, same = M("M2", "Quartiersbüro", 2022, 2024), M("M0", "Jobcenter vor Ort", 2015, float("nan")), \
        M("M3", "Familienzentrum", 2018, float("nan"))
    w = _window(me, "2018", 2025, [later, earlier, same])
    assert (w.end, w.fit_until) == ("2021", "2015")
    note = w.note("Au")
    assert "Geschätzt bis 2021: ab 2022 wirkt in Au auch M2 „Quartiersbüro“ (seit 2022)" in note
    assert "den in Au schon M0 „Jobcenter vor Ort“ (seit 2015) bewirkte" in note
    assert "auch M3 „Familienzentrum“ (seit 2018) auf denselben Indikator: die Schätzung umfasst beide" in note
    # a later measure that starts after this one ended does not cut it
    assert _window(me._replace(end=2020), "2018", 2025, [later]).later == []
