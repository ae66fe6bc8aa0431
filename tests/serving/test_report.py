"""Region reports on the demo's real store and registry: complete, self-contained, German — and no suppressed
number anywhere, checked on the synthetic county's small Gemeinden against the raw values in the store."""

import json
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from experiments.cli import main
from ml.catalog import serving_catalog
from ml.formatting import percent
from models.explanations import years_ahead
from ml.paths import SAMPLE_DIR
from ml.store import Store
from serving.charts import de
from serving.key_figures import WITHHELD_TEXT
from serving.report import ReportBuilder, ReportError
from serving.state import ServiceState

pytestmark = pytest.mark.xdist_group("demo")

TRUTH = json.loads((SAMPLE_DIR / "ground_truth.json").read_text())
SMALL = sorted(set(TRUTH["small_gemeinden"]) | set(TRUTH["gemeinden_with_counts_below_3"]))


@pytest.fixture(scope="module")
def state(demo_settings):
    catalog = serving_catalog(demo_settings)
    st = ServiceState(demo_settings, catalog)
    st.load()
    return st


@pytest.fixture(scope="module")
def builder(state):
    return ReportBuilder(state.settings, state.current())


@pytest.fixture(scope="module")
def raw_suppressed(demo_settings, state):
    """The raw store values of every suppressed feature cell of the small Gemeinden (what must never show)."""
    with Store(demo_settings.store.path, read_only=True) as store:
        obs = store.observations(region_ids=SMALL)
    values = state.current().values
    hidden = values[(values["flag"] == "suppressed") & values["region_id"].isin(SMALL)]
    raw = hidden.merge(obs[["region_id", "indicator_id", "period", "value"]], on=["region_id", "indicator_id", "period"],
                       suffixes=("", "_raw"))
    return raw[raw["value_raw"].notna()]


def distinctive(cells: pd.DataFrame, catalog) -> set[str]:
    """The German renderings a report would use for these values (counts whole, others with one decimal), where
    they have at least three digits: a chance match with another number is then unlikely."""
    out = set()
    for ind, v in zip(cells["indicator_id"], cells["value_raw"]):
        s = de(float(v), 0 if ind in catalog and catalog[ind].kind == "count" else 1)
        if len(re.sub(r"\D", "", s)) >= 3:
            out.add(s)
    return out


def shows(text: str, number: str) -> bool:
    """``number`` occurs as a whole number in ``text`` (not inside a longer one)."""
    return re.search(r"(?<![\d,.])" + re.escape(number) + r"(?![\d]|,\d)", text) is not None


def page_text(html: str, catalog) -> str:
    """The page's data text: without the charts' axis labels (tick values are not data), the indicators' and
    dimensions' names ("je 1.000 Einwohner") and the counts of flagged indicators ("122 Merkmale"); titles,
    descriptions, captions, tables and sentences stay."""
    body = html[html.index("<body>"):]  # not the style sheet
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<text[^>]*>[^<]*</text>", " ", body))
    text = text.replace("&amp;", "&")
    names = sorted({i.name for i in catalog} | {d.name for d in catalog.dimensions.values()}, key=len, reverse=True)
    for name in names:
        text = text.replace(name, " ")
    return re.sub(r"\d+ Merkmale", " ", text)


def injected(state, raw_suppressed, flag: str):
    """The snapshot with every suppressed cell of the small Gemeinden carrying its raw store value, flagged
    ``flag``; the answer caches emptied (the warnings' sentences are written by the training job, whose own
    test checks them for suppressed values)."""
    snap = state.current()
    values = snap.values.copy()
    key = ["region_id", "indicator_id", "period"]
    raw = raw_suppressed.set_index(key)["value_raw"]
    idx = values.set_index(key).index
    hit = idx.isin(raw.index)
    values.loc[hit, "value"] = raw.reindex(idx[hit]).to_numpy()
    values.loc[hit, "flag"] = flag
    return replace(snap, values=values, frames={}, answers={}, answer_json={})


def test_small_gemeinden_reports_show_no_suppressed_number(builder, raw_suppressed, state):
    """The raw values of the withheld cells, handed to the report still flagged 'suppressed', change nothing on
    any small Gemeinde's page — not a table, chart, caption or driver sentence —, so none of them can appear.
    (Scanning a page for the numbers themselves is no proof either way: 2/9 = 22,2 % may be a withheld value
    of one indicator and a published value of another.)"""
    assert set(raw_suppressed["region_id"]) == set(SMALL)  # each small Gemeinde has withheld cells
    exposed = ReportBuilder(state.settings, injected(state, raw_suppressed, "suppressed"))
    # the page's table shows the latest period's indicators (not the counts shares rest on): where one of them is
    # withheld, the page says so
    latest = str(state.current().latest_period)
    on_page = raw_suppressed[(raw_suppressed["period"].astype(str) == latest)
                             & ~raw_suppressed["indicator_id"].map(lambda i: state.catalog[i].basis)]
    assert on_page["region_id"].nunique() >= 3
    for rid in SMALL:
        html = builder.region_page(rid)
        assert exposed.region_page(rid) == html, rid
        mine = on_page[on_page["region_id"] == rid]
        for reason in set(mine["suppressed_by"]):      # each withheld value on the page with its reason
            assert WITHHELD_TEXT[reason] in html, (rid, reason)
    assert set(on_page["suppressed_by"]) >= {"numerator", "population"}
    assert "von der Quelle" not in builder.region_page(SMALL[0])    # none of the demo's values is the source's


def test_a_value_the_source_withheld_is_named_so_never_a_small_number(state, builder):
    """A value withheld by its source (a dash its legend calls secret, a mark under ``withheld``) is no small
    number the privacy rules found: the page says the source did not publish it, in the table and the notes."""
    snap = state.current()
    latest = str(snap.latest_period)
    values = snap.values.copy()
    clean = set(values["region_id"]) - set(values.loc[values["flag"] == "suppressed", "region_id"])
    big = values[(values["period"].astype(str) == latest) & (values["flag"] == "ok")
                 & values["region_id"].isin(clean) & values["indicator_id"].map(
                     lambda i: i in state.catalog and not state.catalog[i].basis
                     and state.catalog[i].frequency == "annual")]
    cell = big.iloc[0]
    hit = ((values["region_id"] == cell["region_id"]) & (values["indicator_id"] == cell["indicator_id"])
           & (values["period"] == cell["period"]))
    values.loc[hit, ["value", "flag", "suppressed_by"]] = [float("nan"), "suppressed", "source"]
    page = ReportBuilder(state.settings, replace(snap, values=values, frames={}, answers={}, answer_json={}))
    html = page.region_page(cell["region_id"])
    name = state.catalog[cell["indicator_id"]].name
    row = next(r for d in page.indicators(cell["region_id"], latest) for r in d["rows"] if r["name"] == name)
    assert (row["value"], row["note"]) == ("gesperrt", WITHHELD_TEXT["source"])
    notes = {f["text"]: f["names"] for f in page.flags(cell["region_id"], latest)}
    assert name in notes[WITHHELD_TEXT["source"]]
    before = builder.region_page(cell["region_id"])
    assert WITHHELD_TEXT["source"] in html and WITHHELD_TEXT["source"] not in before
    assert all(html.count(WITHHELD_TEXT[r]) == before.count(WITHHELD_TEXT[r]) for r in ("count", "numerator",
                                                                                        "population"))


def test_the_age_tables_legend_of_its_dash_stands_only_where_a_count_is_withheld(builder, state):
    """The projection's table writes '–' for a count withheld as small; its legend says so on those pages only. The
    demo withholds none in the years the table shows (its pages have no legend); one withheld there brings it."""
    snap = state.current()
    proj = snap.projection
    region = sorted(proj["region_id"].unique())[0]
    legend = "„–“: gesperrt (kleine Zahl)."
    before = builder.region_page(region)
    assert "Einwohner nach Alter: Stand und Vorausberechnung" in before and legend not in before
    withheld = proj.copy()
    hit = (withheld["region_id"] == region) & (withheld["horizon"] == 5)
    withheld.loc[hit[hit].index[:1], ["served", "flag"]] = [float("nan"), "suppressed"]
    page = ReportBuilder(state.settings, replace(snap, projection=withheld, frames={}, answers={}, answer_json={}))
    assert legend in page.region_page(region)


def test_a_store_of_an_older_features_run_says_withheld_without_a_reason(state, tmp_path):
    """Feature values without ``suppressed_by`` (a store whose 'features' ran before it was kept) still read:
    'gesperrt', no reason made up — the demo's store copied and the column dropped, then read as the service
    reads it."""
    import shutil

    import duckdb

    from serving.state import read_snapshot

    old = tmp_path / "old.duckdb"
    shutil.copy(state.settings.store.path, old)
    with duckdb.connect(str(old)) as con:
        con.execute("ALTER TABLE feature_values DROP COLUMN suppressed_by")
    settings = state.settings.model_copy(update={"store": state.settings.store.model_copy(update={"path": old})})
    snap = read_snapshot(settings, state.catalog)
    page = ReportBuilder(settings, snap)
    latest = str(snap.latest_period)
    notes = [f["text"] for rid in SMALL for f in page.flags(rid, latest)]
    assert "gesperrt" in notes and not any(t.startswith("gesperrt (") for t in notes)


def test_the_check_would_catch_a_leak(state, raw_suppressed, builder):
    """Control: flagged 'ok', the same raw values do reach the pages (the first page that shows one suffices)."""
    leaky = ReportBuilder(state.settings, injected(state, raw_suppressed, "ok"))
    leaked = 0
    for rid in SMALL:
        html = leaky.region_page(rid)
        assert html != builder.region_page(rid)
        own = raw_suppressed[raw_suppressed["region_id"] == rid]
        leaked += sum(shows(page_text(html, state.catalog), s) for s in distinctive(own, state.catalog))
        if leaked:
            break
    assert leaked > 0


def test_report_page_is_complete_self_contained_and_german(builder, state):
    snap = state.current()
    period = snap.latest_period
    state.explain_period(snap, period)
    answers = snap.answers[(period, snap.horizons[0])]
    rid = max(answers, key=lambda r: answers[r]["probability"])
    html = builder.region_page(rid)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="de">' in html
    assert "<script" not in html and not re.search(r'(src|href)="https?://', html)
    for heading in ("Frühwarnung", "Merkmale im Vergleich", f"Profil nach Dimensionen – {builder.compare.label(rid)}",
                    "Entwicklung und Prognose", "Sozialraumtyp", "Datenhinweise"):
        assert f">{heading}</h2>" in html
    assert html.count("<svg") >= 4 and "<title id=" in html  # dimension bars and fan charts, labelled
    assert f'content="{answers[rid]["level"]}"' in html
    assert f"Gebiet {rid} (Gemeinde, " in html       # the level as a German noun, not its id
    assert answers[rid]["sentence"].split(".")[0] in html
    # each level says what it asks for and what it met on unseen years (or why it is not served)
    for h in snap.horizons:
        record = snap.warning_models[h]["levels"]
        assert list(record) == ["beobachten", "Warnung", "akut"]
        for name, r in record.items():
            if r["threshold"] is None:
                assert f"„{name}“ nicht verfügbar – {r['reason']}" in html
            else:
                asked = f"„{name}“ ab {percent(r['threshold'])} Wahrscheinlichkeit (verlangt {percent(r['target'])};"
                assert asked in html
    assert re.search(r"<strong>Typ \d+</strong>", html)
    # whether the types are groups or sections of a continuum, as the typology job measured it
    structure = snap.types["structure"].iloc[0]
    assert structure.startswith("Die Gebiete bilden ") and structure in html
    # the classifier's class, the next class and why, as the training job stored them
    stored = snap.classes.loc[(rid, period)]
    assert f"Klasse <strong>{stored['prediction']}</strong> zu" in html
    assert f"Am nächsten liegt ihm danach die Klasse „{stored['next_class']}“" in html and stored["why"] in html
    # what counts most for the prototype model, the same sentence for every region; none for another classifier
    if stored["lvq_served"]:
        assert stored["relevance"].startswith(("Für die Einordnung zählen vor allem ", "Kein Indikator zählt "))
        assert f"Über alle Gebiete: {stored['relevance']}" in html
        assert snap.classes["relevance"].nunique() == 1
    else:
        assert snap.classes["relevance"].isna().all() and "Über alle Gebiete:" not in html
    assert "80-%-Intervall" in html and "Mittel der Gemeinden (Musterkreis)" in html and "Kreis<" not in html


def test_a_classifier_weaker_than_the_usual_ones_is_named_on_the_page(state):
    import dataclasses

    snap = state.current()
    rid, period = snap.classes.index[0]
    weaker = "GMLVQ: … Das Prototypmodell ist weniger treffsicher als die üblichen Klassifikatoren; seine Stärke " \
             "bleibt die Erklärung."
    relevance = "Für die Einordnung zählen vor allem A (40 %), B (30 %) und C (10 %); zusammen 80 % der Relevanz."
    html = ReportBuilder(state.settings, dataclasses.replace(snap, classes=snap.classes.assign(
        comparison=weaker, served_by="GMLVQ", lvq_served=True, relevance=relevance))).region_page(rid, period)
    assert f"Hinweis: {weaker}" in html and "Das Prototypmodell (GMLVQ) ordnet das Gebiet" in html
    assert f"Über alle Gebiete: {relevance}" in html
    assert "Hinweis: GMLVQ" not in ReportBuilder(state.settings, snap).region_page(rid, period) or \
        "weniger treffsicher" in str(snap.classes["comparison"].iloc[0])
    # where another classifier answers in the prototype model's place, the page names it and why
    served = snap.classes.assign(comparison=weaker + " Bereitgestellt wird daher Random Forest (300 Bäume).",
                                 served_by="Random Forest (300 Bäume)", lvq_served=False, relevance=None)
    html = ReportBuilder(state.settings, dataclasses.replace(snap, classes=served)).region_page(rid, period)
    assert "Das Modell „Random Forest (300 Bäume)“ ordnet das Gebiet der Klasse" in html
    assert "Gezeigt wird nicht das Prototypmodell, weil es weniger treffsicher war: GMLVQ" in html
    assert "gegen den Prototyp der nächsten Klasse" not in html


def test_a_horizon_without_any_level_says_so_instead_of_calling_regions_unremarkable(state):
    import dataclasses

    snap = state.current()
    h = snap.horizons[0]
    reason = "im Rückblick auf ungesehene Jahre verschlechterten sich nur 25 % der 16 so markierten Gebiete"
    ungraded = {**snap.warning_models, h: {
        **snap.warning_models[h], "graded": False, "thresholds": {"beobachten": None, "Warnung": None, "akut": None},
        "unavailable": {"beobachten": reason}, "levels": {
            k: {**v, "threshold": None, "reason": reason if k == "beobachten" else v["reason"] or "x"}
            for k, v in snap.warning_models[h]["levels"].items()}}}
    plain = dataclasses.replace(snap, warning_models=ungraded)
    period = snap.latest_period
    state.explain_period(plain, period, h)
    rid = next(iter(plain.answers[(period, h)]))
    html = ReportBuilder(state.settings, plain).region_page(rid, period)
    when = f"in {years_ahead(h).replace('Jahre', 'Jahren')}"
    row = re.search(rf"<tr><td>{when}</td><td><span class='level level-keine'>(.*?)</span>", html)
    assert row and row.group(1) == "keine Stufe verfügbar", html[html.find("Frühwarnung"):][:800]
    assert f"„beobachten“ nicht verfügbar – {reason}" in html
    if h == plain.horizons[0]:     # the overview names it too
        index = ReportBuilder(state.settings, plain).index_page(period, {})
        assert "keine Stufe verfügbar" in index and "keine Auffälligkeit" not in index


def _indicator_rows(html: str) -> dict[str, list[str]]:
    """The indicator tables of a page: row label -> the cells' text."""
    rows = {}
    for table in re.findall(r"<table class='indicators'>(.*?)</table>", html, re.S):
        for label, cells in re.findall(r"<tr><th scope='row'>(.*?)<span.*?</th>(.*?)</tr>", table, re.S):
            rows[label] = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]
    return rows


def test_the_profile_is_first_a_table_of_indicators(builder, state):
    """Each reported indicator with its value, the level's mean (or total), the change and a trend line — the
    numbers as the feature cells hold them."""
    snap = state.current()
    period = snap.latest_period
    rid = "14599020"
    html = builder.region_page(rid)
    rows = _indicator_rows(html)
    assert len(rows) >= 20
    v = snap.values
    level = set(snap.regions.loc[snap.regions["level"] == snap.level, "region_id"])
    for ind in ("sgb2_quote", "einwohner", "arbeitslosenquote"):
        meta = state.catalog[ind]
        dec = 0 if meta.kind == "count" else 1
        cells = rows[meta.name]
        value, flag = builder.cell(rid, ind, period)
        assert cells[0] == [de(value, dec)]
        here = v[(v["indicator_id"] == ind) & (v["period"].astype(str) == period) & v["region_id"].isin(level)]
        published = here[here["flag"] != "suppressed"]["value"]
        if meta.kind == "count":
            expected = ["insg.", de(published.sum(), 0)] if len(published) == len(level) else ["–"]
        else:
            expected = [de(published.mean(), 1)]
        assert cells[1] == expected, (ind, cells)
        earlier = sorted(p for p in v.loc[(v["region_id"] == rid) & (v["indicator_id"] == ind), "period"].astype(str)
                         if p < period)
        prev, _ = builder.cell(rid, ind, earlier[-1])
        assert cells[2][0].lstrip("+\u2212±") == de(abs(value - prev), dec) and cells[2][-1] == earlier[-1]
        row = html.split(f"<th scope='row'>{meta.name}<span", 1)[1].split("</tr>", 1)[0]
        assert "<svg" in row and "<title>" in row                               # the trend line, labelled


def test_every_value_is_placed_among_the_levels_regions(builder, state):
    """The 'Einordnung' column: for an indicator with a direction, günstiger or ungünstiger; for a neutral one
    (polarity 0), above or below the mean; within half a standard deviation 'im Mittel' for both."""
    snap = state.current()
    period = snap.latest_period
    rid = "14599020"
    rows = _indicator_rows(builder.region_page(rid))
    v = snap.values
    level = set(snap.regions.loc[snap.regions["level"] == snap.level, "region_id"])
    seen = {0: 0, 1: 0}
    for meta in state.catalog:
        value, flag = builder.cell(rid, meta.indicator_id, period)
        if meta.name not in rows or meta.kind == "count" or value is None or flag == "suppressed":
            continue
        here = v[(v["indicator_id"] == meta.indicator_id) & (v["period"].astype(str) == period)
                 & v["region_id"].isin(level) & (v["flag"] != "suppressed")]["value"].dropna()
        if len(here) < 5 or not here.std() > 0:
            continue
        z = (value - here.mean()) / here.std()
        text = " ".join(rows[meta.name][3])
        if meta.polarity == 0:
            expected = ("deutlich über dem Mittel" if z >= 1 else "über dem Mittel" if z >= 0.5 else
                        "deutlich unter dem Mittel" if z <= -1 else "unter dem Mittel" if z <= -0.5 else "im Mittel")
        else:
            z *= meta.polarity
            expected = ("deutlich ungünstiger" if z >= 1 else "ungünstiger" if z >= 0.5 else "deutlich günstiger"
                        if z <= -1 else "günstiger" if z <= -0.5 else "im Mittel")
        assert text == expected, (meta.indicator_id, z, text)
        seen[abs(meta.polarity)] += 1
    assert seen[0] >= 2 and seen[1] >= 10


def test_unknown_region_or_period(builder):
    with pytest.raises(ReportError, match="no region"):
        builder.region_page("00000000")
    with pytest.raises(ReportError, match="no profiles for period"):
        builder.region_page("14599020", "1990")


def test_demo_wrote_every_page_and_an_index(demo_run):
    workdir, output = demo_run
    pages = sorted((workdir / "berichte").glob("14599*_2025.html"))
    index = workdir / "berichte" / "index_2025.html"
    # the 53 Gemeinden, and the 7 Sozialregionen and the Kreis with the sums of their Gemeinden
    assert len(pages) == 61 and index.is_file()
    assert len([p for p in pages if re.fullmatch(r"14599\d{3}_2025\.html", p.name)]) == 53
    region = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (workdir / "berichte" / "14599SR1_2025.html").read_text(
        encoding="utf-8")))
    assert "Die Frühwarnung ist für Gemeinden berechnet; dieses Gebiet ist eine Sozialregion und hat keine." in region
    assert "Die Sozialraumtypen sind für Gemeinden gebildet; dieses Gebiet ist eine Sozialregion und hat keinen." in \
        region
    assert "¹ Summe der Gemeinden, nicht vom Gebiet selbst gemeldet" in region
    assert "Merkmal 2020 2021 2022 2023 2024 2025 " in region and re.search(r" Einwohner \(Personen\)( [\d.]+¹){6} ",
                                                                            region)
    links = re.findall(r"href='([^']+)'", index.read_text(encoding="utf-8"))
    assert sorted(links) == sorted(p.name for p in pages)
    assert "Gebietsberichte (HTML)" in output
    # the index names each region's status class, type and warning level
    text = index.read_text(encoding="utf-8")
    assert ("<th scope='col'>Statusklasse</th><th scope='col'>Sozialraumtyp</th><th scope='col'>Frühwarnung</th>"
            in text) and len(re.findall(r"<td>Typ \d+</td>", text)) >= 45


def test_report_command(demo_settings, tmp_path):
    env = {"SOZIALRADAR_STORE__PATH": str(demo_settings.store.path),
           "SOZIALRADAR_TRACKING__URI": demo_settings.tracking.uri}
    runner = CliRunner()
    r = runner.invoke(main, ["report", "--region", "14599020", "--region", SMALL[0], "--out", str(tmp_path)], env=env)
    assert r.exit_code == 0, r.output
    assert {p.name for p in tmp_path.iterdir()} == {"14599020_2025.html", f"{SMALL[0]}_2025.html"}
    r = runner.invoke(main, ["report", "--region", "14599020", "--period", "2019", "--out", str(tmp_path)], env=env)
    assert r.exit_code == 0 and (tmp_path / "14599020_2019.html").is_file()
    assert runner.invoke(main, ["report", "--out", str(tmp_path)], env=env).exit_code == 2
    r = runner.invoke(main, ["report", "--region", "nowhere", "--out", str(tmp_path)], env=env)
    assert r.exit_code == 2 and "'nowhere': neither a code nor a name of the store's regions" in r.output


def test_report_command_takes_a_name(demo_settings, tmp_path):
    """A planner types the Gemeinde's name, as the report writes it or without its designation (', Stadt')."""
    from ml.regions import without_designation
    from ml.store import Store

    with Store(demo_settings.store.path, read_only=True) as store:
        regions = store.region_names()
    gemeinden = regions[regions["level"] == "gemeinde"]
    town = gemeinden[gemeinden["name"].str.endswith(", Stadt")].iloc[0]
    village = gemeinden[~gemeinden["name"].str.contains(",")].iloc[0]
    env = {"SOZIALRADAR_STORE__PATH": str(demo_settings.store.path),
           "SOZIALRADAR_TRACKING__URI": demo_settings.tracking.uri}
    r = CliRunner().invoke(main, ["report", "--region", without_designation(town["name"]), "--region",
                                  village["name"].upper(), "--out", str(tmp_path)], env=env)
    assert r.exit_code == 0, r.output
    assert {p.name for p in tmp_path.iterdir()} == {f"{town['region_id']}_2025.html",
                                                    f"{village['region_id']}_2025.html"}
    assert "has no profile" not in r.output
    # a Kreis has no profile of its own here: its page is written, with a note saying why it shows no values
    kreis = regions[regions["level"] == "kreis"].iloc[0]
    r = CliRunner().invoke(main, ["report", "--region", kreis["region_id"], "--out", str(tmp_path)], env=env)
    assert r.exit_code == 0, r.output
    assert (f"note: {kreis['name']} ({kreis['region_id']}) has no profile, so its page shows no values; the profiles "
            "are built for the level gemeinde (features.level), this region is of the level kreis") in r.output


def test_values_estimated_in_earlier_years_are_named_in_the_data_notes(state):
    """The trend lines show earlier years: where those were estimated (an earlier grid carried over by the
    crosswalk), the data notes say so with the years, though the report's own period is as published."""
    snap = state.current()
    rid, latest = "14599020", snap.latest_period
    page = ReportBuilder(state.settings, replace(snap, frames={}, answers={}, answer_json={}))
    assert not any(f["text"].startswith("im Verlauf geschätzt") for f in page.flags(rid, latest))
    values = snap.values.copy()
    residents = (values["region_id"] == rid) & (values["indicator_id"] == "einwohner")
    periods = sorted(p for p in values.loc[residents, "period"].astype(str).unique() if p < latest)[-3:]
    assert len(periods) == 3 and all(p.isdigit() for p in periods)
    earlier = residents & values["period"].astype(str).isin(periods)
    values.loc[earlier, "flag"] = "estimated"
    page = ReportBuilder(state.settings, replace(snap, values=values, frames={}, answers={}, answer_json={}))
    notes = [f for f in page.flags(rid, latest) if f["text"].startswith("im Verlauf geschätzt")]
    assert notes == [{"text": f"im Verlauf geschätzt ({periods[0]}–{periods[-1]}; z. B. aus einem früheren "
                              "Gebietszuschnitt nach Flächen- oder Einwohneranteilen umgerechnet)",
                      "names": [state.catalog["einwohner"].name]}]
    assert "im Verlauf geschätzt" in page.region_page(rid, latest)


def test_the_areas_of_an_earlier_grid_get_no_page_and_no_line(state, tmp_path):
    """Both grids' keys in one store: the old areas, whose values the crosswalk carried onto the new ones, have no
    profile; '--all', the index and the API's region list (the same ``level_regions``) leave them out."""
    snap = state.current()
    old = snap.regions[snap.regions["level"] == snap.level].iloc[[0]].assign(region_id="14599999",
                                                                              name="Altgemeinde vor der Fusion")
    both = replace(snap, regions=pd.concat([snap.regions, old], ignore_index=True), frames={}, answers={},
                   answer_json={})
    assert len(both.level_regions) == 53 and "14599999" not in set(both.level_regions["region_id"])
    builder = ReportBuilder(state.settings, both)
    assert "Altgemeinde vor der Fusion" not in builder.index_page(None, {})
    pages, index = builder.write(tmp_path, None)
    # the Gemeinden's 53 and the Sozialregionen's and the Kreis's 8, not the old area's
    assert len(pages) == 61 and not (tmp_path / f"14599999_{snap.latest_period}.html").exists() and index.is_file()


def test_an_unreliable_interval_is_named_on_the_page(state):
    """The held-out check the forecast job stored decides the German note beside the fan chart."""
    from models.forecasting import UNCHECKED_NOTE, UNRELIABLE_NOTE

    snap = state.current()
    rid = "14599020"
    note = UNRELIABLE_NOTE[0].lower() + UNRELIABLE_NOTE[1:].rstrip(".")
    forecasts = snap.forecasts.copy()
    forecasts["interval_reliable"] = True
    page = ReportBuilder(state.settings, replace(snap, forecasts=forecasts, frames={}, answers={}, answer_json={}))
    assert note not in page.region_page(rid)
    forecasts.loc[forecasts["indicator_id"] == "sgb2_quote", "interval_reliable"] = False
    page = ReportBuilder(state.settings, replace(snap, forecasts=forecasts, frames={}, answers={}, answer_json={}))
    trends = {t["name"]: t["text"] for t in page.trends(rid, snap.latest_period)}
    name = state.catalog["sgb2_quote"].name
    assert note in trends[name] and sum(note in text for text in trends.values()) == 1
    assert "Verfahren: " in trends[name] and note in page.region_page(rid)
    # not checkable (too few backtest origins): the interval is shown with a word of caution, not as reliable
    forecasts["interval_reliable"] = None
    page = ReportBuilder(state.settings, replace(snap, forecasts=forecasts, frames={}, answers={}, answer_json={}))
    trends = {t["name"]: t["text"] for t in page.trends(rid, snap.latest_period)}
    unchecked = UNCHECKED_NOTE[0].lower() + UNCHECKED_NOTE[1:].rstrip(".")
    assert unchecked in trends[name] and note not in trends[name]


def test_a_page_without_a_status_index_gives_the_regions_own_reason(builder, state):
    """A small Gemeinde: its values are withheld, and the page says so — in the key figures and in place of the
    dimension profile; a Gemeinde with an index shows it."""
    least = state.settings.privacy.min_population
    small = sorted(TRUTH["small_gemeinden"])[0]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", builder.region_page(small, None)))
    assert f"Statusindex nicht berechnet: weniger als {least} Einwohner, die Werte des Gebiets sind gesperrt" in text
    assert f"Das Gebiet hat weniger als {least} Einwohner: seine Werte sind zum Schutz der Einzelnen gesperrt." in text
    assert (f"Das Gebiet hat weniger als {least} Einwohner: seine Werte sind zum Schutz der Einzelnen gesperrt; es "
            "wird keinem Typ zugeordnet.") in text             # the type's place gives the same reason
    other = next(r for r in sorted(state.current().regions["region_id"]) if r.startswith("14599") and r not in SMALL
                 and len(r) == 8)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", builder.region_page(other, None)))
    assert re.search(r"Statusindex [−-]?\d+,\d\d – Klasse", text) and "nicht berechnet" not in text


def test_a_region_of_another_level_than_the_profiles_says_which_setting_profiles_it(builder, state):
    """A Sozialregion when the profiles are the Gemeinden's: no values on its page, and in the key figures and in
    place of the indicators and the profile the reason, with the setting that profiles its level."""
    regions = state.current().regions
    sozialregion = sorted(regions.loc[regions["level"] == "sozialregion", "region_id"])[0]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", builder.region_page(sozialregion, None)))
    said = ("ie Profile sind für Gemeinden berechnet, dieses Gebiet ist eine Sozialregion: den Vergleich mit den "
            "anderen Sozialregionen zeigt eine Auswertung dieser Ebene (features.level: sozialregion).")
    assert f"Statusindex nicht berechnet: d{said}" in text and text.count(f"D{said}") == 2
    assert "keine Merkmale vor" not in text
    last = sorted(g["region_id"] for g in TRUTH["gemeinden"])[-1]
    assert said not in builder.region_page(last, None)
    # a configuration that names another level since the last 'features': the stored profiles decide
    from dataclasses import replace

    changed = ReportBuilder(state.settings, replace(state.current(), level="sozialregion"))
    assert changed.elsewhere(last) is None and changed.elsewhere(sozialregion) == "D" + said


def _three_gemeinden(tmp_path, count: str, residents: tuple[int, int, int], third: str = "Mitte", config=None):
    """Gemeinden Nord, Süd and ``third`` with their ``count`` (the residents, or a county's own count) and share
    over 65 in 2022, imported and through the features job: (settings, the service's snapshot, its catalog)."""
    from experiments.jobs import features_job
    from ml.config import load_settings
    from ml.importers import ingest_file

    settings = load_settings(config, env={"SOZIALRADAR_STORE__PATH": str(tmp_path / "m.duckdb")})
    regions = tmp_path / "regions.csv"
    regions.write_text(f"region_id,name,level\n1,Nord,gemeinde\n2,Süd,gemeinde\n3,{third},gemeinde\n",
                       encoding="utf-8")
    values = tmp_path / "werte.csv"
    values.write_text("region_id,indicator_id,period,value\n" + "".join(
        f"{r},{i},2022,{v}\n" for r, e in zip((1, 2, 3), residents)
        for i, v in ((count, e), ("anteil_65plus", 20 + r))), encoding="utf-8")
    with Store(settings.store.path) as store:
        for f in (regions, values):
            assert ingest_file(f, store, settings).status == "ok"
    features_job(settings, None, None)
    catalog = serving_catalog(settings)
    st = ServiceState(settings, catalog)
    st.load()
    return settings, st.current(), catalog


def test_without_any_status_indicator_the_page_says_which_are_missing(tmp_path):
    """A county whose tables hold none of the status index's indicators (a census table alone): the page names
    them, instead of blaming small areas or withheld cells."""
    settings, snap, catalog = _three_gemeinden(tmp_path, "einwohner", (4000, 5200, 3900))
    # no period has a status index: the latest period is shown, not an error asking for one
    assert snap.default_period == "2022" and snap.latest_period is None
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", ReportBuilder(settings, snap).region_page("1", None)))
    wanted = ", ".join(catalog[i].name for i in settings.features.index.status_indicators)
    assert f"Statusindex nicht berechnet: keiner der Indikatoren des Statusindex liegt für 2022 vor ({wanted})" in text
    # the index leaves out the columns no region fills, and says why there is no status class
    index = ReportBuilder(settings, snap).index_page(None, {})
    assert "Für 2022 ist kein Statusindex berechnet." in index
    assert not any(h in index for h in ("Statusklasse", "Sozialraumtyp", "Frühwarnung")) and "Süd" in index


def test_a_population_count_of_the_countys_own_is_named_as_it_is(tmp_path):
    """A register's residence-duration table counts the residents aged 5 and over, not all residents; set as the
    population indicator, it withholds the small areas and is named on the page by its own name, not 'Einwohner'."""
    own = tmp_path / "eigene.csv"
    own.write_text("indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,scale,frequency\n"
                   "ew_ab5,Einwohner ab 5 Jahren,bevoelkerung,Personen,0,count,,,,annual\n", encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(f"catalog:\n  indicators: ['{own}']\nfeatures:\n  population_indicator: ew_ab5\n",
                      encoding="utf-8")
    settings, snap, _ = _three_gemeinden(tmp_path, "ew_ab5", (4000, 5200, 9), third="Messe", config=config)
    pages = {r: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", ReportBuilder(settings, snap).region_page(r, None)))
             for r in ("1", "3")}
    assert "Kennzahlen 2022 Einwohner ab 5 Jahren 4.000 " in pages["1"]
    assert "Kennzahlen 2022 Einwohner " not in pages["1"].replace("Einwohner ab 5 Jahren", "")
    assert "weniger als 300 Einwohner" in pages["3"] and "23,0" not in pages["3"]


def test_a_region_of_another_level_shows_its_own_values_without_a_comparison_small_counts_withheld(tmp_path):
    """The Jugendamt's Hilfen zur Erziehung by kind for the whole county, beside the Gemeinden's profiles: the
    county's page shows its own values over its years, as held (a share derived from its counts), a small count
    withheld as on every page, and names the kind of region it is ('ein Kreis')."""
    from experiments.jobs import features_job
    from ml.importers import ingest_file

    settings, _, _ = _three_gemeinden(tmp_path, "einwohner", (4000, 5200, 3900))
    county = tmp_path / "kreis.csv"
    county.write_text("region_id,name,level\n9,Musterkreis,kreis\n", encoding="utf-8")
    hze = tmp_path / "hze.csv"
    hze.write_text("region_id,indicator_id,period,value\n" + "".join(
        f"9,{i},{p},{v}\n" for p, row in ((2021, (15800, 241, 103, 2)), (2022, (15940, 255, 97, 11)))
        for i, v in zip(("ew_unter18", "hze_faelle", "hze_vollzeitpflege", "hze_ise"), row)), encoding="utf-8")
    with Store(settings.store.path) as store:
        for f in (county, hze):
            assert ingest_file(f, store, settings).status == "ok"
    features_job(settings, None, None)      # stores the county's values, its shares derived, small counts withheld
    st = ServiceState(settings, serving_catalog(settings))
    st.load()
    html = ReportBuilder(settings, st.current()).region_page("9", None)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "dieses Gebiet ist ein Kreis: den Vergleich mit den anderen Kreisen zeigt" in text
    assert "Die Werte dieses Gebiets, wie sie im Bestand vorliegen" in text
    rows = {m[0]: m[1:] for m in (re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r) for r in re.findall(
        r"<tr>(.*?)</tr>", html.split("Die Werte dieses Gebiets")[1].split("</section>")[0], flags=re.S)) if m}
    assert rows["Merkmal"] == ["2021", "2022"]
    assert rows["Hilfen zur Erziehung (Fälle)"] == ["241", "255"]
    assert rows["Vollzeitpflege (§ 33 SGB VIII)<span class='muted'> (Fälle)</span>"] == ["103", "97"]
    assert rows[next(k for k in rows if k.startswith("Hilfen zur Erziehung je 1.000"))] == ["15,3", "16,0"]
    ise = rows[next(k for k in rows if k.startswith("Intensive sozialpädagogische"))]
    assert ise == ["gesperrt²", "11"] and "² gesperrt (kleine Zahl)." in text     # the reason once, in the legend
    # a Gemeinde's page, of the profiles' level, has no such table
    assert "Die Werte dieses Gebiets" not in ReportBuilder(settings, st.current()).region_page("1", None)
    # 'report --all' writes the county's page too, linked from the index under the Gemeinden
    pages, index = ReportBuilder(settings, st.current()).write(tmp_path / "berichte", None)
    assert [p.region_id for p in pages] == ["1", "2", "3", "9"]
    listed = index.read_text(encoding="utf-8").split("<h2>Weitere Gebiete</h2>")
    assert len(listed) == 2 and "<a href='9_2022.html'>Musterkreis</a> (Kreis, 9)" in listed[1]
    assert "Musterkreis" not in listed[0] and "href='index_2022.html'" in pages[-1].path.read_text(encoding="utf-8")


def test_the_whole_countys_residents_by_age_give_its_page_its_residents_and_their_shares(tmp_path):
    """The county's residents by age, one row per year (a table by age of one region): its page's key figure and
    table show its residents and the share of those 65 and older, summed from the groups by 'features'; a count it
    lacks is the sum of its Gemeinden, marked."""
    from experiments.jobs import features_job
    from ml.importers import Mapping, ingest_file

    settings, _, _ = _three_gemeinden(tmp_path, "einwohner", (4000, 5200, 3800))
    county = tmp_path / "kreis.csv"       # the county, now the parent of its Gemeinden
    county.write_text("region_id,name,level,parent_id\n9,Musterkreis,kreis,\n1,Nord,gemeinde,9\n2,Süd,gemeinde,9\n"
                      "3,Mitte,gemeinde,9\n", encoding="utf-8")
    unemployed = tmp_path / "arbeitslose.csv"
    unemployed.write_text("region_id,indicator_id,period,value\n1,arbeitslose,2022,120\n2,arbeitslose,2022,210\n"
                          "3,arbeitslose,2022,95\n", encoding="utf-8")
    ages = tmp_path / "alter.csv"
    ages.write_text("Jahr;unter 18;18 bis unter 65;65 und älter\n2021;2.100;7.200;3.700\n2022;2.150;7.180;3.770\n",
                    encoding="utf-8")
    with Store(settings.store.path) as store:
        assert ingest_file(county, store, settings).status == "ok"
        assert ingest_file(ages, store, settings, mapping=Mapping(region="9")).status == "ok"
        assert ingest_file(unemployed, store, settings).status == "ok"
    features_job(settings, None, None)
    st = ServiceState(settings, serving_catalog(settings))
    st.load()
    html = ReportBuilder(settings, st.current()).region_page("9", "2022")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Kennzahlen 2022 Einwohner 13.100 " in text
    assert "Einwohner (Personen) 13.000 13.100 " in text
    assert "Anteil Einwohner 65 Jahre und älter (%) 28,5 28,8 " in text
    # its residents are its own (13,100, not its Gemeinden's 13,000); the unemployed it lacks are its Gemeinden's
    # sum, marked and said so
    assert "Arbeitslose (Jahresdurchschnitt) (Personen) – 425¹ " in text
    assert ("¹ Summe der Gemeinden, nicht vom Gebiet selbst gemeldet; ein Anteil daraus ist aus dieser Summe "
            "berechnet. Eine Summe fehlt, wo ein Teilgebiet keinen Wert hat; wo sein Wert gesperrt ist, ist auch die "
            "Summe gesperrt (sie verriete ihn).") in text
    assert "Einwohner (Personen) 13.000 13.100 " in text


def test_the_countys_residents_are_its_key_figure_where_its_gemeinden_have_none(tmp_path):
    from experiments.jobs import features_job
    from ml.importers import Mapping, ingest_file

    settings, _, _ = _three_gemeinden(tmp_path, "haushalte", (1800, 2300, 1700))       # no residents of their own
    county = tmp_path / "kreis.csv"
    county.write_text("region_id,name,level\n9,Musterkreis,kreis\n", encoding="utf-8")
    ages = tmp_path / "alter.csv"
    ages.write_text("Jahr;unter 18;18 bis unter 65;65 und älter\n2022;2.150;7.180;3.770\n", encoding="utf-8")
    with Store(settings.store.path) as store:
        assert ingest_file(county, store, settings).status == "ok"
        assert ingest_file(ages, store, settings, mapping=Mapping(region="9")).status == "ok"
    features_job(settings, None, None)
    st = ServiceState(settings, serving_catalog(settings))
    st.load()
    builder = ReportBuilder(settings, st.current())
    assert "Kennzahlen 2022 Einwohner 13.100 " in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", builder.region_page(
        "9", "2022")))
    assert "Kennzahlen 2022 Einwohner" not in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", builder.region_page(
        "1", "2022")))      # a Gemeinde without residents has no such line, rather than a dash


def test_the_own_table_shows_the_years_not_the_months_and_a_balance_of_persons_whole():
    """A Kreis whose Gemeinden's monthly unemployed are summed too: its table's columns are its last six years, not
    its last months; a balance of persons has no decimals; a sum is marked and the legend names the parts."""
    from ml.catalog import effective_catalog
    from ml.config import load_settings
    from serving.own_values import own_table

    catalog = effective_catalog(load_settings(env={}))
    rows = [("9", "einwohner", str(y), 1000.0 + y, True) for y in range(2017, 2026)]
    rows += [("9", "saldo_natuerlich", "2025", -1699.0, True)]
    rows += [("9", "arbeitslose_monat", f"2024-{m:02d}", 40.0 + m, True) for m in range(1, 13)]
    values = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value", "summed"]).assign(
        flag="ok", suppressed_by="")
    table = own_table(values, catalog, "9", "2025", "Gemeinden")
    assert table["periods"] == ["2020", "2021", "2022", "2023", "2024", "2025"]
    cells = {r["name"]: r["cells"] for d in table["dimensions"] for r in d["rows"]}
    assert cells["Einwohner"][-1] == "3.025¹"
    assert cells["Natürlicher Saldo (Geborene minus Gestorbene)"][-1] == "−1.699¹"
    assert table["summed"].startswith("¹ Summe der Gemeinden, nicht vom Gebiet selbst gemeldet")


def test_the_own_tables_withheld_cells_are_marked_by_reason_and_the_legend_says_each_once():
    """Six years of a sum withheld over a withheld Gemeinde, a small count in one year, a reason the store does not
    name: each cell reads 'gesperrt' with the mark of its reason (in the order they first appear), and the legend
    says each reason once, not the long text in every cell."""
    from ml.catalog import effective_catalog
    from ml.config import load_settings
    from serving.own_values import own_table

    catalog = effective_catalog(load_settings(env={}))
    rows = [("9", "einwohner", str(y), 9000.0 + y, "ok", "") for y in range(2020, 2026)]
    rows += [("9", "sgb2_empfaenger", str(y), np.nan, "suppressed", "complement") for y in range(2020, 2026)]
    rows += [("9", "hze_faelle", str(y), 40.0 + y - 2020, "ok", "") for y in range(2020, 2025)]
    rows += [("9", "hze_faelle", "2025", np.nan, "suppressed", "count"),
             ("9", "pkw", "2025", np.nan, "suppressed", None)]
    values = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value", "flag", "suppressed_by"])
    table = own_table(values, catalog, "9", "2025", "Gemeinden")
    cells = {r["name"]: r["cells"] for d in table["dimensions"] for r in d["rows"]}
    recipients = next(v for k, v in cells.items() if k.startswith("Leistungsberechtigte"))
    assert recipients == ["gesperrt²"] * 6
    hze = cells[next(k for k in cells if k.startswith("Hilfen zur Erziehung"))]
    assert hze == ["40", "41", "42", "43", "44", "gesperrt³"]
    assert cells[next(k for k in cells if k.startswith("Pkw"))][-1] == "gesperrt⁴"
    assert table["withheld"] == ["² gesperrt (sonst ließe sich mit den Teilgebieten ein gesperrter Wert errechnen).",
                                 "³ gesperrt (kleine Zahl).", "⁴ gesperrt."]
    assert table["summed"] == ""


def _own_indicator_county(tmp_path, value: dict[tuple[int, int], float], breaks: str = "",
                          parents: dict[int, str] | None = None):
    """A county of Gemeinden 1 … n with residents and one indicator of its own catalog, ``alq_eigen`` (its status
    index), valued ``value[(region, year)]``, imported and through the features job: (the job's result, a report
    builder on the store). ``parents``: Gemeinde → its Kreis (regions of their own)."""
    from experiments.jobs import features_job
    from ml.config import load_settings
    from ml.importers import ingest_file

    own = tmp_path / "eigene.csv"
    own.write_text("indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,scale,frequency,breaks\n"
                   f"alq_eigen,Arbeitslosenquote (eigene),arbeit,%,1,share,-,-,,annual,{breaks}\n", encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(f"catalog:\n  indicators: ['{own}']\nfeatures:\n  index:\n    status_indicators: [alq_eigen]\n",
                      encoding="utf-8")
    settings = load_settings(config, env={"SOZIALRADAR_STORE__PATH": str(tmp_path / "m.duckdb")})
    names = {1: "Nord", 2: "Süd", 3: "Mitte"}
    regions = tmp_path / "regions.csv"
    parents = parents or {}
    regions.write_text("region_id,name,level,parent_id\n" + "".join(
        f"{k},Kreis {k},kreis,\n" for k in sorted(set(parents.values()))) + "".join(
        f"{r},{names.get(r, f'Gebiet {r}')},gemeinde,{parents.get(r, '')}\n" for r in sorted({r for r, _ in value})),
        encoding="utf-8")
    values = tmp_path / "werte.csv"
    values.write_text("region_id,indicator_id,period,value\n" + "".join(
        f"{r},{i},{y},{v}\n" for (r, y), q in value.items() for i, v in (("einwohner", 4000 + 100 * r),
                                                                           ("alq_eigen", round(q, 2)))),
        encoding="utf-8")
    with Store(settings.store.path) as store:
        for f in (regions, values):
            assert ingest_file(f, store, settings).status == "ok"
    result = features_job(settings, None, None)
    st = ServiceState(settings, serving_catalog(settings))
    st.load()
    return result, ReportBuilder(settings, st.current())


def _cli(tmp_path, *args: str) -> str:
    """The command line on the county :func:`_own_indicator_county` built in ``tmp_path``: its output."""
    from click.testing import CliRunner

    from experiments.cli import main
    out = CliRunner().invoke(main, ["--config", str(tmp_path / "c.yaml"), *args], catch_exceptions=False,
                             env={"SOZIALRADAR_STORE__PATH": str(tmp_path / "m.duckdb")})
    assert out.exit_code == 0, out.output
    return out.output


def test_no_change_is_shown_across_a_definition_break(tmp_path):
    """An indicator of a county's own catalog defined anew from 2021: the 2021 page shows no change since 2020 and
    says it was defined anew; the 2020 page shows the change since 2019."""
    _, builder = _own_indicator_county(tmp_path, {
        (r, y): 6.0 + r + (y - 2019) * 0.5 - (3 if y == 2021 else 0) for r in (1, 2, 3) for y in (2019, 2020, 2021)},
        breaks="2021")
    rows = {p: next(r for d in builder.indicators("1", p) for r in d["rows"] if r["name"] == "Arbeitslosenquote (eigene)")
            for p in ("2020", "2021")}
    assert rows["2021"]["change"] == "–" and rows["2021"]["redefined"] == "neu abgegrenzt ab 2021"
    assert rows["2020"]["change"] == "+0,5" and rows["2020"]["since"] == "2019" and rows["2020"]["redefined"] == ""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", builder.region_page("1", "2021")))
    assert "neu abgegrenzt ab 2021" in text


def test_a_copied_year_shows_no_change_and_the_next_reaches_back_past_it(tmp_path):
    """2020 published again with 2019's values (twelve regions): the features job stores the copied year, its page
    shows no change but says it repeats the edition before; 2021's change reaches back to 2019."""
    value = {(r, y): 4.0 + r + {2018: 0.0, 2019: 0.4, 2020: 0.4, 2021: 1.1}[y] + 0.01 * r * (y - 2018)
             for r in range(1, 13) for y in (2018, 2019, 2020, 2021)}
    value.update({(r, 2020): value[(r, 2019)] for r in range(1, 13)})           # the copy
    result, builder = _own_indicator_county(tmp_path, value)
    assert result.copies == {"alq_eigen": (2020,)}
    rows = {p: next(r for d in builder.indicators("1", p) for r in d["rows"] if r["name"] == "Arbeitslosenquote (eigene)")
            for p in ("2019", "2020", "2021")}
    assert rows["2020"]["change"] == "–" and rows["2020"]["redefined"] == "wiederholt die Ausgabe davor (kopiert?)"
    assert rows["2021"]["since"] == "2019" and rows["2021"]["redefined"] == ""
    assert rows["2021"]["change"] == de(round(value[(1, 2021)], 2) - round(value[(1, 2019)], 2), 1, sign=True)
    assert rows["2019"]["since"] == "2018" and rows["2019"]["redefined"] == ""
    assert ("  values that repeat the year before (no change measured from or to them): 2020 alq_eigen (every "
            "region)") in _cli(tmp_path, "store", "info")


def test_a_year_copied_in_one_kreis_shows_no_change_there_and_elsewhere_its_own(tmp_path):
    """2020 published again with 2019's values in the twelve Gemeinden of Kreis K1 only, while the other two Kreise's
    moved (a Kreis's rows copied): the features job names and stores the block; in K1 no change over two years is
    measured into 2020 nor from it into 2022 (the profiles' dz_ is unknown there) and the page shows none but says the
    value repeats the edition before; 2021's change reaches back to 2019. In K2 every change is the region's own."""
    years = range(2017, 2023)
    value = {(r, y): 4.0 + 0.3 * r + 0.05 * r * (y - 2017) + 0.4 * ((r * y) % 3)
             for r in range(1, 37) for y in years}
    value.update({(r, 2020): value[(r, 2019)] for r in range(1, 13)})           # Kreis K1's rows copied
    result, builder = _own_indicator_county(tmp_path, value, parents={r: f"K{(r - 1) // 12 + 1}" for r in range(1, 37)})
    assert result.copies == {} and {(r, "alq_eigen", "2020") for r in map(str, range(1, 13))} <= result.copied_cells
    assert not {k for k in result.copied_cells if k[0] not in set(map(str, range(1, 13)))}
    assert any(n.startswith("2020: the values of alq_eigen repeat 2019 exactly in 12 of the 36 regions")
               and "no change from or to 2020 is measured there" in n for n in result.notes)
    profiles = result.profiles.set_index(["region_id", "period"])
    dz = profiles["dz_alq_eigen"]
    # the status index of K1's 2020 is 2019's: the early warning takes no transition into or out of it
    assert profiles["status_copied"].groupby(level="period").sum().to_dict() == {
        "2017": 0, "2018": 0, "2019": 0, "2020": 12, "2021": 0, "2022": 0}
    repeats = result.warning_inputs.set_index(["region_id", "period"])["repeats"]
    assert repeats.loc[("1", "2020")] and not repeats.loc[("13", "2020")] and not repeats.loc[("1", "2021")]
    out = _cli(tmp_path, "features")
    assert ("2020: in 12 regions the status index is built from values that repeat the edition before (rows copied "
            "in one group); the early warning learns from no transition into or out of them there") in out
    assert "repeats the edition before in every region" not in out
    assert ("  values that repeat the year before (no change measured from or to them): 2020 alq_eigen (12 regions)"
            in _cli(tmp_path, "store", "info"))
    assert dz.loc[[("1", "2020"), ("1", "2022"), ("12", "2020")]].isna().all()
    assert dz.loc[[("1", "2021"), ("1", "2019"), ("13", "2020"), ("13", "2022")]].notna().all()
    rows = {(g, p): next(r for d in builder.indicators(g, p) for r in d["rows"]
                         if r["name"] == "Arbeitslosenquote (eigene)") for g in ("1", "13") for p in ("2020", "2021")}
    assert rows[("1", "2020")]["change"] == "–"
    assert rows[("1", "2020")]["redefined"] == "wiederholt die Ausgabe davor (kopiert?)"
    assert rows[("1", "2021")]["since"] == "2019" and rows[("1", "2021")]["change"] == de(
        round(value[(1, 2021)], 2) - round(value[(1, 2019)], 2), 1, sign=True)
    assert rows[("13", "2020")]["since"] == "2019" and rows[("13", "2020")]["redefined"] == ""
    assert rows[("13", "2021")]["since"] == "2020"


def test_values_the_catalog_read_lacks_are_named_not_dropped_silently(state):
    """Pages built without the county's configuration (a catalog without its own indicators): the values the page
    cannot name are listed in the data notes with the command that names them."""
    import dataclasses

    snap = state.current()
    rid, period = "14599020", snap.latest_period
    lacking = dataclasses.replace(snap.catalog, indicators={k: v for k, v in snap.catalog.indicators.items()
                                                            if k != "hze_dichte"})
    page = ReportBuilder(state.settings, dataclasses.replace(snap, catalog=lacking)).region_page(rid, period)
    assert re.search(r"nicht gezeigt, weil der gelesene Katalog sie nicht kennt \(Dienst und Berichte brauchen die "
                     r"Konfiguration des Kreises: sozialradar --config DATEI\)</strong>: 1 Merkmal</summary>"
                     r"hze_dichte", page)
    assert "der gelesene Katalog" not in ReportBuilder(state.settings, snap).region_page(rid, period)


def test_a_value_whose_rows_went_to_other_regions_is_named_left_out_on_the_page(tmp_path):
    """2020 written to the wrong Gemeinden (fifteen regions, their order reversed) between 2019 and 2021 that agree:
    the features job leaves those values out and stores why; the page of such a Gemeinde says "ausgelassen" with the
    reason instead of showing a value, and 2019's page shows its value as before."""
    value = {(r, y): 4.0 + 0.5 * r + 0.2 * (y - 2018) for r in range(1, 16) for y in (2018, 2019, 2020, 2021)}
    value.update({(r, 2020): value[(16 - r, 2020)] for r in range(1, 16)})         # the rows of 2020 reversed
    result, builder = _own_indicator_county(tmp_path, value)
    assert set(result.left_out.loc[result.left_out["indicator_id"] == "alq_eigen", "period"]) == {"2020"}
    rows = {p: next(r for d in builder.indicators("1", p) for r in d["rows"]
                    if r["name"] == "Arbeitslosenquote (eigene)") for p in ("2019", "2020")}
    assert rows["2020"]["value"] == "–" and rows["2020"]["note"].startswith("ausgelassen: Werte der Ausgabe 2020 ")
    assert "anderen Gebieten zugeordnet" in rows["2020"]["note"]
    assert rows["2019"]["value"] == de(value[(1, 2019)], 1) and not rows["2019"]["note"].startswith("ausgelassen")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", builder.region_page("1", "2020")))
    assert "ausgelassen: Werte der Ausgabe 2020" in text
    n = int((result.left_out["indicator_id"] == "alq_eigen").sum())
    assert (f"  values left out of the profiles: {n} (2020 alq_eigen {n}); a region's page says why (table "
            "left_out_values)") in _cli(tmp_path, "store", "info")


def test_the_own_tables_cell_left_out_by_features_says_so_with_its_reason_once():
    """A Bezirksregion's file of 2024 held 2025's values: 'features' left them out (store table left_out_values).
    Its own table reads 'ausgelassen' with a mark there, and the legend gives the reason once; other gaps stay '–'."""
    from ml.catalog import effective_catalog
    from ml.config import load_settings
    from ml.formatting import MISSING
    from serving.own_values import own_table

    catalog = effective_catalog(load_settings(env={}))
    rows = [("9", "einwohner", str(y), 9000.0 + y, "ok", "") for y in range(2021, 2026)]
    rows += [("9", "hze_faelle", str(y), 40.0 + y - 2020, "ok", "") for y in (2021, 2022, 2025)]
    values = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value", "flag", "suppressed_by"])
    why = "Werte der Ausgabe 2024 sind die der Ausgabe 2025, gemessen an der Ebene Planungsraum (Datei einer anderen " \
          "Ausgabe?)"
    table = own_table(values, catalog, "9", "2025", "Planungsräume", {("9", "hze_faelle", "2024"): why})
    cells = {r["name"]: r["cells"] for d in table["dimensions"] for r in d["rows"]}
    hze = cells[next(k for k in cells if k.startswith("Hilfen zur Erziehung"))]
    assert hze == ["41", "42", MISSING, "ausgelassen²", "45"]
    assert table["withheld"] == [f"² ausgelassen: {why}."]
    assert own_table(values, catalog, "9", "2025", "Planungsräume")["withheld"] == []


def test_a_count_summed_from_the_regions_parts_is_marked_on_its_own_levels_page(tmp_path):
    """Profiles per Sozialregion, the residents counted per Gemeinde (a census table below a monitoring of the level
    above): Sozialregion Ost's residents are its Gemeinden's sum, and its page says so in the key figures and in the
    table of indicators, with the legend once; West reports its own, unmarked."""
    from experiments.jobs import features_job
    from ml.config import load_settings
    from ml.importers import ingest_file

    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp_path / "m.duckdb"),
                                  "SOZIALRADAR_FEATURES__LEVEL": "sozialregion",
                                  "SOZIALRADAR_FEATURES__REFERENCE_LEVEL": "null"})
    regions = tmp_path / "regions.csv"
    regions.write_text("region_id,name,level,parent_id\nK,Kreis,kreis,\nO,Ost,sozialregion,K\nW,West,sozialregion,K\n"
                       "N,Nord,sozialregion,K\n1,Aue,gemeinde,O\n2,Bach,gemeinde,O\n3,Heide,gemeinde,W\n"
                       "4,Moor,gemeinde,W\n5,Feld,gemeinde,N\n6,Hain,gemeinde,N\n", encoding="utf-8")
    values = tmp_path / "werte.csv"
    values.write_text("region_id,indicator_id,period,value\n" + "".join(
        f"{g},einwohner,2022,{1000 * int(g) + 500}\n" for g in "123456")
        + "W,einwohner,2022,8000\n"
        + "".join(f"{s},anteil_65plus,2022,{v}\n" for s, v in zip("OWNK", (21, 24, 19, 20))),
        encoding="utf-8")
    with Store(settings.store.path) as store:
        for f in (regions, values):
            assert ingest_file(f, store, settings).status == "ok"
    features_job(settings, None, None)
    st = ServiceState(settings, serving_catalog(settings))
    st.load()
    builder = ReportBuilder(settings, st.current())
    pages = {r: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", builder.region_page(r, "2022"))) for r in "OWK"}
    assert "Kennzahlen 2022 Einwohner 4.000 (Summe der Gemeinden) " in pages["O"]
    assert "Einwohner (Personen) 4.000¹ " in pages["O"]
    assert pages["O"].count("¹ Summe der Gemeinden, nicht vom Gebiet selbst gemeldet") == 1
    assert "Kennzahlen 2022 Einwohner 8.000 " in pages["W"]
    assert "8.000¹" not in pages["W"] and "Summe der" not in pages["W"]
    # the Kreis, of another level: its residents are a sum, in its key figures and its own table; its own share over
    # 65 is not marked although the residents it rests on are a sum
    assert "Kennzahlen 2022 Einwohner 24.000 (Summe der Sozialregionen) " in pages["K"]
    assert "Einwohner (Personen) 24.000¹ " in pages["K"] and " 20,0 " in pages["K"] and "20,0¹" not in pages["K"]
    # the export of the profiles says it too (Ost's and Nord's residents)
    from experiments.export import export_table

    with Store(settings.store.path, read_only=True) as store:
        table = export_table("profiles", store, serving_catalog(settings), period="2022")
    assert "2 values are sums of the regions' parts, not reported by the regions themselves" in table.attrs["notes"][0]
