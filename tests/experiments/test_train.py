"""Training runs against a real MLflow SQLite store: metrics, plots, registered pyfunc, champion alias."""

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from experiments.train import TrainingError, train_classifier, train_typology, training_frame
from features.pipeline import run_pipeline
from ml.paths import SAMPLE_DIR
from ml.tracking import CHAMPION, fingerprint, promote, promote_if_better, tracking_uri


@pytest.fixture(scope="module")
def profiles(sample_inputs):
    settings, catalog, obs, regions = sample_inputs
    result = run_pipeline(obs, regions, catalog, settings)
    return result.profiles, result.model


def configured(settings, tmp_path, **training):
    updates = {"tracking": settings.tracking.model_copy(update={"uri": f"sqlite:///{tmp_path}/mlflow.db"}),
               "training": settings.training.model_copy(update=training)}
    return settings.model_copy(update=updates)


def test_classifier_run_registers_a_loadable_champion(sample_inputs, profiles, tmp_path):
    settings, catalog, _, _ = sample_inputs
    s = configured(settings, tmp_path, ground_truth=SAMPLE_DIR / "ground_truth.json",
                   classifier=settings.training.classifier.model_copy(update={"target": "planted_type", "period": "2012"}))
    summary = train_classifier(*profiles, catalog, s)
    # five planted types from 40 indicators of 53 Gemeinden (chance: 0.2)
    assert summary.metrics["cv_balanced_accuracy"] >= 0.5 and summary.champion
    assert {"cv_accuracy", "cv_reject_rate", "cv_log_loss", "calibration_slope"} <= set(summary.metrics)
    assert {k for k in summary.metrics if k.startswith("cv_recall_")} == {f"cv_recall_T{i}" for i in range(1, 6)}
    mlflow.set_tracking_uri(tracking_uri(s.tracking.uri))
    client = MlflowClient()
    run = client.get_run(summary.run_id)
    assert len(run.data.tags["git_commit"]) in (40, 7) and len(run.data.tags["data_fingerprint"]) == 64
    artifacts = {a.path for a in client.list_artifacts(summary.run_id)} | {
        a.path for a in client.list_artifacts(summary.run_id, "plots")}
    assert {"config.json", "plots/relevanzprofil.png", "plots/prototypen.png", "plots/konfusionsmatrix.png",
            "plots/projektion.png", "plots/rueckweisung.png", "vergleich.md", "vergleich_wiederholungen.csv",
            "auswahl.csv", "auswahl_je_fold.csv", "rueckweisung.csv", "einordnung.txt", "prototypen.csv",
            "relevanz.csv"} <= artifacts
    # the settings chosen by the inner cross-validation are logged, and the comparison is in every run
    params = run.data.params
    assert params["selected_prototypes_per_class"] in {"1", "2", "3"} and "selected_class_weight" in params
    table = summary.tables["vergleich"]
    assert list(table["model"]) == ["GMLVQ", "LGMLVQ", "Logistische Regression",
                                    "Logistische Regression (balanciert)", "Random Forest (300 Bäume)"]
    assert summary.metrics["cv_accuracy"] == pytest.approx(table.at[0, "accuracy"])
    assert {f"cmp.{m}.balanced_accuracy" for m in ("gmlvq", "lgmlvq", "logreg", "logreg_balanced",
                                                   "random_forest")} <= set(summary.metrics)
    assert run.data.tags["vergleich"].startswith("GMLVQ: balancierte Trefferquote")
    assert 0 <= summary.metrics["reject_share_for_95"] < 1 and -1 <= summary.metrics["relevance_rank_correlation"] <= 1
    assert -1 <= summary.metrics["direction_rank_correlation"] <= 1
    assert -1 <= summary.metrics["relevance_subsampled_rank_correlation"] <= 1
    relevance = pd.read_csv(client.download_artifacts(summary.run_id, "relevanz.csv", str(tmp_path)))
    assert (relevance["Relevanz, 10 %"] <= relevance["Relevanz, 90 %"]).all()
    assert relevance["Relevanz, Mittel der Halbstichproben"].sum() == pytest.approx(1.0)
    # the sentence names as leading only what is among the first three in at least half of the 25 refits; the
    # five planted types differ on many indicators alike, so here the first may not lead steadily
    held = relevance["Zusammenhang unter den ersten drei (Anteil der Halbstichproben)"]
    assert held.between(0, 1).all() and held.sum() == pytest.approx(3)
    first = relevance.sort_values("Zusammenhang mit den trennenden Richtungen", ascending=False).iloc[0]
    lead = run.data.tags["einordnung"]
    if held[first.name] >= 0.5:
        assert lead.startswith(f"Für die Einordnung zählen vor allem {first['Name']} (")
    else:
        assert lead.startswith(f"Kein Indikator zählt für die Einordnung deutlich mehr als die anderen: vorn liegen "
                               f"{first['Name']} (")
    lines = Path(client.download_artifacts(summary.run_id, "einordnung.txt", str(tmp_path))).read_text().splitlines()
    assert lines[1].startswith("Gewicht im Modell (Diagonale von Λ, Mittel aus 25 Anpassungen auf Halbstichproben): ")
    curve = summary.tables["rueckweisung"]
    assert curve["accuracy"].iloc[0] == pytest.approx(summary.metrics["cv_accuracy"])
    model = mlflow.pyfunc.load_model(f"models:/{s.training.classifier.registered_name}@{CHAMPION}")
    names = [c["name"] for c in model.metadata.signature.inputs.to_dict()]
    m = profiles[1][profiles[1]["period"] == "2012"].set_index("region_id")
    X = m[[f"m_{n}" for n in names]].dropna()
    X.columns = names
    out = model.predict(X.head(5))
    assert list(out.columns[:1]) == ["prediction"] and np.allclose(out.filter(like="p_").sum(axis=1), 1)
    # the requirements logged with the model are those MLflow infers by loading it (plus its own two defaults)
    from mlflow.artifacts import download_artifacts
    from mlflow.utils.environment import infer_pip_requirements

    from ml.tracking import model_requirements

    local = download_artifacts(f"models:/{s.training.classifier.registered_name}@{CHAMPION}", dst_path=str(tmp_path))
    logged = (Path(local) / "requirements.txt").read_text(encoding="utf-8").split()
    assert logged == model_requirements()
    defaults = [r for r in logged if r.split("==")[0] in ("mlflow", "cloudpickle")]
    assert sorted(logged) == sorted(defaults + infer_pip_requirements(local, "python_function"))


def test_an_indicator_target_is_split_into_thirds_and_left_out_of_the_inputs(sample_inputs, profiles, tmp_path):
    settings, catalog, _, _ = sample_inputs
    cfg = settings.training.classifier.model_copy(update={"target": "anteil_65plus", "period": "2015",
                                                          "compare": False, "select": False})
    summary = train_classifier(*profiles, catalog, configured(settings, tmp_path, classifier=cfg))
    assert {k for k in summary.metrics if k.startswith("cv_recall_")} == {
        "cv_recall_1_unteres_Drittel", "cv_recall_2_mittleres_Drittel", "cv_recall_3_oberes_Drittel"}
    assert len(summary.tables["vergleich"]) == 1 and summary.notes[-1].endswith("(compare: false).")
    mlflow.set_tracking_uri(tracking_uri(f"sqlite:///{tmp_path}/mlflow.db"))
    inputs = MlflowClient().get_run(summary.run_id).data.params
    assert inputs["selected_prototypes_per_class"] == "1"
    _, default_features, _ = training_frame(*profiles, catalog, settings, "2015", None)
    assert "anteil_65plus" in default_features and summary.metrics["n_features"] == len(default_features) - 1
    with pytest.raises(TrainingError, match="cannot be one of the features"):
        train_classifier(*profiles, catalog, configured(settings, tmp_path, classifier=cfg.model_copy(
            update={"features": ["anteil_65plus", "sgb2_quote"]})))


def test_a_county_without_a_status_index_classifies_by_an_indicators_thirds(sample_inputs, profiles, tmp_path):
    """Census tables alone give no status index: the classifier of the status class says what to do instead, the
    thirds of an indicator need no index, and a single input is refused before any plot is drawn (it crashed)."""
    settings, catalog, _, _ = sample_inputs
    prof, model = profiles
    no_index = prof.assign(status_index=np.nan, status_label=None, status_indicators=None)
    with pytest.raises(TrainingError, match="no profile has a status index: .*; or classify the regions by the "
                                            "thirds of an indicator: training.classifier.target: its id$"):
        train_classifier(no_index, model, catalog, configured(settings, tmp_path))
    cfg = settings.training.classifier.model_copy(update={"target": "anteil_65plus", "compare": False,
                                                          "select": False, "features": ["hze_dichte"],
                                                          "period": "2015"})
    with pytest.raises(TrainingError, match="the classifier needs at least two indicators; 2015 has values of only "
                                            "hze_dichte; .*name two or more under training.classifier.features$"):
        train_classifier(no_index, model, catalog, configured(settings, tmp_path, classifier=cfg))
    two = cfg.model_copy(update={"features": ["hze_dichte", "uvg_quote"]})
    from ml.store import Store

    with Store(tmp_path / "s.duckdb") as store:
        summary = train_classifier(no_index, model, catalog, configured(settings, tmp_path, classifier=two),
                                   store=store)
        classes = store.table("classes")
    assert summary.metrics["n_features"] == 2 and "cv_recall_3_oberes_Drittel" in summary.metrics
    # the stored classes say what they are classes of: the page and /classify show it beside the class
    assert set(classes["target"]) == {"Anteil Einwohner 65 Jahre und älter: Drittel der Gebiete 2015"}


def test_an_input_that_is_the_status_index_again_is_named(sample_inputs, profiles):
    """Berlin's health atlas publishes a composite of the very sub-indices its status index is built from: a
    classifier of the status class then 'learns' what it is given. The run says so; the Musterkreis's inputs,
    however closely they follow poverty, are not such twins."""
    from experiments.classifier_run import INDEX_TWIN_R, index_twin_notes

    rng = np.random.default_rng(0)
    ids = [f"r{i}" for i in range(40)]
    index = rng.normal(size=40)
    prof = pd.DataFrame({"region_id": ids, "period": "2022", "status_index": index})
    X = pd.DataFrame({"gsi": 2 * index + rng.normal(0, 0.01, 40), "other": rng.normal(size=40)}, index=ids)
    notes, r, twins = index_twin_notes(X, prof, "2022", "status_label", {"gsi": "Gesundheits- und Sozialindex"})
    assert r > INDEX_TWIN_R and len(notes) == 1 and twins == ["gsi"]
    assert notes[0].startswith("Achtung: Gesundheits- und Sozialindex (r = 1,00) entspricht fast dem Statusindex")
    # the default inputs leave it out: the note says so, and the largest correlation is that of the inputs kept
    notes, r, twins = index_twin_notes(X, prof, "2022", "status_label", {}, leave_out=True)
    assert notes[0].startswith("Nicht unter den Eingaben: gsi (r = 1,00) entspricht") and twins == ["gsi"]
    assert r == pytest.approx(abs(X["other"].corr(prof.set_index("region_id")["status_index"])))
    notes, r, twins = index_twin_notes(X[["other"]], prof, "2022", "status_label", {})
    assert notes == [] and twins == [] and 0 <= r < INDEX_TWIN_R
    assert index_twin_notes(X, prof, "2022", "planted_type", {})[0] == []
    settings, catalog, _, _ = sample_inputs
    Xm, features, names = training_frame(*profiles, catalog, settings, "2025", None)
    notes, r, _ = index_twin_notes(Xm, profiles[0], "2025", "status_label", dict(zip(features, names)))
    assert notes == [] and 0.5 < r < INDEX_TWIN_R


def test_a_default_input_that_is_the_status_index_again_is_left_out(sample_inputs, profiles, tmp_path):
    """A published composite of the index's parts among the default inputs is left out of the classifier of the
    status class, and the run says so; named under training.classifier.features it stays in, with the warning."""
    settings, catalog, _, _ = sample_inputs
    prof, model = profiles
    _, default, _ = training_frame(prof, model, catalog, settings, "2015", None)
    twin = default[0]
    index = prof.set_index(["region_id", "period"])["status_index"]
    model = model.assign(**{f"m_{twin}": 3 * index.reindex(pd.MultiIndex.from_frame(model[["region_id", "period"]]))
                            .to_numpy() + 1})
    cfg = settings.training.classifier.model_copy(update={"period": "2015", "compare": False, "select": False})
    summary = train_classifier(prof, model, catalog, configured(settings, tmp_path, classifier=cfg))
    assert summary.metrics["n_features"] == len(default) - 1
    assert summary.metrics["max_feature_index_correlation"] < 0.99
    assert any(n.startswith("Nicht unter den Eingaben: ") and "(r = 1,00)" in n for n in summary.notes)
    named = cfg.model_copy(update={"features": default[:3]})
    summary = train_classifier(prof, model, catalog, configured(settings, tmp_path, classifier=named))
    assert summary.metrics["n_features"] == 3 and summary.metrics["max_feature_index_correlation"] > 0.99
    assert any(n.startswith("Achtung: ") and "(r = 1,00)" in n for n in summary.notes)


def test_indicator_groups():
    from experiments.classifier_run import TargetError, indicator_groups

    groups = indicator_groups(pd.Series([5.0, 1.0, np.nan, 3.0, 2.0, 4.0, 6.0]), 3)
    assert groups.isna().sum() == 1 and groups.value_counts().tolist() == [2, 2, 2]
    assert groups.iloc[1] == "1 unteres Drittel" and groups.iloc[6] == "3 oberes Drittel"
    assert indicator_groups(pd.Series(range(8), dtype=float), 4).iloc[-1] == "4. Viertel"
    assert indicator_groups(pd.Series(range(14), dtype=float), 7).iloc[0] == "Gruppe 1 von 7"
    with pytest.raises(TargetError, match="distinct values"):
        indicator_groups(pd.Series([1.0, 1.0, 2.0]), 3)


def test_champion_moves_only_on_improvement(tmp_path):
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/m.db")
    mlflow.set_experiment("promotion")
    client = MlflowClient()
    client.create_registered_model("x")
    versions = []
    for value in (0.7, 0.6, 0.9):
        with mlflow.start_run() as run:
            mlflow.log_metric("score", value)
        versions.append(client.create_model_version("x", f"runs:/{run.info.run_id}/m", run.info.run_id).version)
    assert promote_if_better(client, "x", versions[0], "score", 0.7)
    assert not promote_if_better(client, "x", versions[1], "score", 0.6)
    assert client.get_model_version_by_alias("x", CHAMPION).version == versions[0]
    assert promote_if_better(client, "x", versions[2], "score", 0.9)
    assert client.get_model_version_by_alias("x", CHAMPION).version == versions[2]


def test_a_champion_trained_on_other_inputs_gives_way_to_the_run_on_todays(tmp_path):
    """Metrics compare only runs on the same inputs: a run on a new edition of the data (another fingerprint)
    replaces the champion even with a lower score, and says why; on the same inputs the better score wins."""
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/m.db")
    mlflow.set_experiment("promotion")
    client = MlflowClient()
    client.create_registered_model("y")
    versions = []
    for value, data in ((0.9, "edition-2021"), (0.8, "edition-2021"), (0.7, "edition-2023"), (0.6, "edition-2023")):
        with mlflow.start_run() as run:
            mlflow.log_metric("score", value)
            mlflow.set_tag("data_fingerprint", data)
        versions.append(client.create_model_version("y", f"runs:/{run.info.run_id}/m", run.info.run_id).version)
    assert promote(client, "y", versions[0], "score", 0.9, fingerprint="edition-2021") == (True, "no champion yet")
    promoted, why = promote(client, "y", versions[1], "score", 0.8, fingerprint="edition-2021")
    assert not promoted and "does not beat the champion's 0.9" in why and "same inputs" in why
    promoted, why = promote(client, "y", versions[2], "score", 0.7, fingerprint="edition-2023")
    assert promoted and "trained on other inputs" in why and "not comparable" in why
    assert client.get_model_version_by_alias("y", CHAMPION).version == versions[2]
    assert not promote(client, "y", versions[3], "score", 0.6, fingerprint="edition-2023")[0]
    assert client.get_model_version_by_alias("y", CHAMPION).version == versions[2]


def test_a_typology_on_other_indicators_replaces_the_champion(sample_inputs, profiles, tmp_path):
    """The analyst names the typology's indicators: the run on them is served, though a run on other indicators
    had the higher silhouette (the two are not comparable)."""
    settings, catalog, _, _ = sample_inputs
    s = configured(settings, tmp_path, typology=settings.training.typology.model_copy(
        update={"k_min": 3, "k_max": 4, "method": "kmeans"}))
    first, _, _ = train_typology(*profiles, catalog, s)
    assert first.champion and first.champion_reason == "no champion yet"
    again, _, _ = train_typology(*profiles, catalog, s)
    assert not again.champion and "same inputs" in again.champion_reason
    chosen = [f for f in ("anteil_65plus", "auslaender_anteil", "haushaltsgroesse", "sgb2_quote", "hze_dichte")
              if f"m_{f}" in profiles[1].columns]
    s2 = configured(settings, tmp_path, typology=settings.training.typology.model_copy(
        update={"k_min": 3, "k_max": 4, "method": "kmeans", "features": chosen}))
    other, model, _ = train_typology(*profiles, catalog, s2)
    assert model.n_features_in_ == len(chosen) and other.champion, other.champion_reason
    assert "trained on other inputs" in other.champion_reason
    tags = MlflowClient().get_run(other.run_id).data.tags
    assert tags["champion"] == "True" and "other inputs" in tags["champion_reason"]


def test_typology_run_recovers_planted_types(sample_inputs, profiles, tmp_path):
    settings, catalog, _, _ = sample_inputs
    # 2010: before the latent strain and any planted deterioration move the Gemeinden away from their types
    s = configured(settings, tmp_path, ground_truth=SAMPLE_DIR / "ground_truth.json",
                   typology=settings.training.typology.model_copy(update={"period": "2010"}))
    summary, model, descriptions = train_typology(*profiles, catalog, s)
    assert summary.metrics["n_types"] == 5 and summary.metrics["ari_planted_types"] >= 0.8
    # the method is chosen too: each of the three with its own number of types, the best silhouette kept
    scores = {m: summary.metrics[f"silhouette_{m}"] for m in ("kmeans", "ward", "gmm")}
    assert summary.metrics["silhouette"] == pytest.approx(max(scores.values()))
    mlflow.set_tracking_uri(tracking_uri(s.tracking.uri))
    assert MlflowClient().get_run(summary.run_id).data.params["chosen_method"] == max(scores, key=scores.get)
    assert len(descriptions) == 5 and all("durchschnittlich" in d for d in descriptions.values())
    # the planted types are groups, not a continuum cut into sections: better separated than every typology of
    # data without groups (same means and covariance), and the run says so
    assert summary.metrics["silhouette"] > summary.metrics["silhouette_reference_max"]
    assert summary.metrics["structure_p_value"] == pytest.approx(0.05)
    tags = MlflowClient().get_run(summary.run_id).data.tags
    assert tags["distinct_types"] == "true" and tags["struktur"].startswith("Die Gebiete bilden deutlich getrennte")
    assert not any("no distinct groups" in n for n in summary.notes)
    # next year's refit keeps the type numbers
    s2 = configured(settings, tmp_path, typology=settings.training.typology.model_copy(update={"period": "2015"}))
    _, model2, _ = train_typology(*profiles, catalog, s2, previous=model)
    # compared by Gemeinde: a Gemeinde withheld in one of the two years is in only one of the fits
    first = pd.Series(model.labels_, index=training_frame(*profiles, catalog, s, "2010", None)[0].index)
    second = pd.Series(model2.labels_, index=training_frame(*profiles, catalog, s2, "2015", None)[0].index)
    both = first.index.intersection(second.index)
    assert len(both) >= 45 and (first[both] == second[both]).mean() >= 0.9
    election = configured(settings, tmp_path, typology=settings.training.typology.model_copy(update={"period": "2013"}))
    with pytest.raises(TrainingError, match="previous typology used 39 features, 2013 has 40"):
        train_typology(*profiles, catalog, election, previous=model)


def test_no_model_learns_from_a_withheld_small_area(sample_inputs, profiles, tmp_path):
    """A Gemeinde whose values are withheld has every model input imputed: it is left out of the typology's and
    the classifier's inputs, as it is left out of the stored types and classes."""
    settings, catalog, _, _ = sample_inputs
    prof, model = profiles
    period = "2015"
    here = prof[prof["period"] == period]
    small = set(here.loc[here["status_label"].isna() & (here["n_suppressed"] > 0), "region_id"])
    assert small                                         # the sample has such Gemeinden
    X, _, _ = training_frame(prof, model, catalog, settings, period, None)
    assert not small & set(X.index) and len(X) == len(here) - len(small)
    s = configured(settings, tmp_path, typology=settings.training.typology.model_copy(update={"period": period}))
    summary, _, _ = train_typology(prof, model, catalog, s)
    assert summary.metrics["n_regions"] == len(X)


def test_training_errors(sample_inputs, profiles, tmp_path):
    settings, catalog, _, _ = sample_inputs
    s = configured(settings, tmp_path, classifier=settings.training.classifier.model_copy(update={"target": "planted_type"}))
    with pytest.raises(TrainingError, match="needs training.ground_truth"):
        train_classifier(*profiles, catalog, s)
    s = configured(settings, tmp_path, classifier=settings.training.classifier.model_copy(update={"period": "1999"}))
    with pytest.raises(TrainingError, match="no profiles for period '1999'"):
        train_classifier(*profiles, catalog, s)
    s = configured(settings, tmp_path, classifier=settings.training.classifier.model_copy(update={"features": ["gibtsnicht"]}))
    with pytest.raises(TrainingError, match="features not in the profiles: gibtsnicht"):
        train_classifier(*profiles, catalog, s)
    # a class of one region (a small town's Stadtteile): the counts, and what groups the regions instead
    prof, model = profiles
    last = prof[prof["period"] == "2025"]
    one = prof.copy()
    one.loc[last.index[last["status_label"] == "hoch"][1:], "status_label"] = "mittel"
    s = configured(settings, tmp_path, classifier=settings.training.classifier.model_copy(update={"period": "2025"}))
    with pytest.raises(TrainingError) as err:
        train_classifier(one, model, catalog, s)
    assert str(err.value).startswith("class 'hoch' has a single region in 2025 (mittel ")
    assert str(err.value).endswith("so a classifier of these classes cannot be checked here (the Sozialraumtypen "
                                   "group the regions without classes: sozialradar train typology)")


def test_fingerprint_changes_with_data():
    a = pd.DataFrame({"x": [1.0, 2.0]})
    assert fingerprint(a) == fingerprint(a.copy()) != fingerprint(a.assign(x=[1.0, 2.5]))


def test_the_lvq_model_is_served_unless_another_model_beats_it():
    from experiments.classifier_run import beats, holds_own, served_choice, served_sentence, verdict

    table = pd.DataFrame({"model": ["GMLVQ", "LR", "LR balanciert", "RF"],
                          "accuracy": [0.88, 0.89, 0.83, 0.90], "balanced_accuracy": [0.84, 0.77, 0.85, 0.74]})
    # GMLVQ does not hold its own (the balanced LR has the better balanced accuracy), but no model beats it:
    # the balanced LR is 5 points less accurate, LR and RF are far behind on balanced accuracy
    assert not holds_own(table, "GMLVQ") and not any(beats(table, m, "GMLVQ") for m in ("LR", "LR balanciert", "RF"))
    assert served_choice([table], "GMLVQ") == "GMLVQ"
    assert served_sentence("GMLVQ", "GMLVQ", "in der Kreuzvalidierung", True).startswith(
        "Bereitgestellt wird dennoch GMLVQ: kein anderes Modell schnitt in der Kreuzvalidierung insgesamt besser ab")
    # better on balanced accuracy within 2 points of accuracy beats it; so does 3 points more accuracy at
    # 1 point less balanced accuracy
    near = table.assign(accuracy=[0.88, 0.89, 0.865, 0.90])
    assert beats(near, "LR balanciert", "GMLVQ") and served_choice([near], "GMLVQ") == "LR balanciert"
    accurate = table.assign(balanced_accuracy=[0.84, 0.83, 0.70, 0.74], accuracy=[0.86, 0.89, 0.83, 0.80])
    assert beats(accurate, "LR", "GMLVQ") and served_choice([accurate], "GMLVQ") == "LR"
    # a win must hold in every table: the cross-validation and the later period
    assert served_choice([near, table], "GMLVQ") == "GMLVQ"
    ahead = table.assign(balanced_accuracy=[0.86, 0.77, 0.85, 0.74])
    assert holds_own(ahead, "GMLVQ") and served_choice([ahead], "GMLVQ") == "GMLVQ"
    assert "mindestens so treffsicher" in verdict(ahead, "GMLVQ")
    assert served_sentence("GMLVQ", "GMLVQ", "in der Kreuzvalidierung", False) == "Bereitgestellt wird GMLVQ."
    # a classifier without prototypes explains by the classes' typical values; another prototype model by its own
    assert served_sentence("GMLVQ", "LR", "in der Kreuzvalidierung", True).endswith(
        "vergleicht dann mit dem typischen Profil der nächsten Klasse.")
    assert served_sentence("GMLVQ", "LGMLVQ", "in der Kreuzvalidierung", True, prototypes=True).endswith(
        "weniger balancierter Trefferquote).")
    assert verdict(near, "GMLVQ", "Auf 2021: ").startswith("Auf 2021: GMLVQ: balancierte Trefferquote 0,840")
    # the verdict names the models it falls behind, whatever kind they are
    assert verdict(table, "GMLVQ").endswith(
        "Das Prototypmodell ist weniger treffsicher als LR balanciert; seine Stärke bleibt die Erklärung.")
    assert "weniger treffsicher als LR, LR balanciert und RF;" in verdict(
        table.assign(accuracy=[0.80, 0.89, 0.83, 0.90], balanced_accuracy=[0.70, 0.77, 0.85, 0.74]), "GMLVQ")
    assert "weniger treffsicher als RF;" in verdict(table.assign(balanced_accuracy=[0.84, 0.77, 0.80, 0.74],
                                                                 accuracy=[0.86, 0.87, 0.83, 0.90]), "GMLVQ")


def _bands(profiles, features, period_shift=0.0):
    """Profiles with a target 'zone' from four bands of the first feature (a, b, a, b): no single prototype per
    class nor a linear boundary can draw it; trees can."""
    p, m = profiles
    x = m.set_index(["region_id", "period"])[f"m_{features[0]}"]
    zone = np.select([x < -0.6, x < 0.0, x < 0.6], ["a", "b", "a"], "b")
    zones = pd.Series(zone, index=x.index).where(x.notna())
    return p.assign(zone=zones.reindex(pd.MultiIndex.from_frame(p[["region_id", "period"]])).to_numpy()), m


def test_a_classifier_that_beats_the_lvq_model_is_served_in_its_place(sample_inputs, profiles, tmp_path):
    from ml.store import Store

    settings, catalog, _, _ = sample_inputs
    features = ["sgb2_quote", "anteil_65plus", "arbeitslosenquote"]
    p, m = _bands(profiles, features)
    # 2014 has no inputs: the later-period check falls back to the latest period that has them
    m = m.assign(**{f"m_{f}": m[f"m_{f}"].where(m["period"] != "2014") for f in features})
    banded = (p, m)
    cfg = settings.training.classifier.model_copy(update={
        "target": "zone", "period": "2015", "features": features,
        "search": {"prototypes_per_class": [1], "class_weight": [None]}})
    s = configured(settings, tmp_path, classifier=cfg)
    with Store(tmp_path / "s.duckdb") as store:
        summary = train_classifier(*banded, catalog, s, store=store)
        classes = store.table("classes")
    table = summary.tables["vergleich"].set_index("model")
    assert table.at["Random Forest (300 Bäume)", "accuracy"] > table.at["GMLVQ", "accuracy"] + 0.05
    assert summary.served == "Random Forest (300 Bäume)" and summary.champion
    # the later-period check: fitted on 2013 (2014 lacks the inputs), judged on 2015, every model
    later = summary.tables["spaetere_periode"]
    assert list(later["model"]) == list(table.index)
    assert {"later.gmlvq.accuracy", "later.random_forest.balanced_accuracy"} <= set(summary.metrics)
    assert "Mit 2013 angepasst, auf 2015 geprüft: GMLVQ" in summary.notes[-1]
    assert "Bereitgestellt wird daher Random Forest (300 Bäume)" in summary.notes[-1]
    mlflow.set_tracking_uri(tracking_uri(s.tracking.uri))
    client = MlflowClient()
    run = client.get_run(summary.run_id)
    assert run.data.params["served_model"] == "Random Forest (300 Bäume)" and run.data.params["check_period"] == "2013"
    assert {a.path for a in client.list_artifacts(summary.run_id)} >= {"spaetere_periode.md", "einordnung.txt"}
    # the registered champion is the served model, and the store holds its classes with the reason in words
    model = mlflow.pyfunc.load_model(f"models:/{cfg.registered_name}@{CHAMPION}")
    assert model.unwrap_python_model().name == "Random Forest (300 Bäume)"
    assert set(classes["served_by"]) == {"Random Forest (300 Bäume)"} and not classes["lvq_served"].any()
    assert classes["relevance"].isna().all()     # the prototype model's relevances do not explain another model
    row = classes[classes["period"] == "2015"].iloc[0]
    m = banded[1].set_index(["region_id", "period"]).loc[(row["region_id"], "2015"), [f"m_{f}" for f in features]]
    out = model.predict(pd.DataFrame([m.to_numpy(float)], columns=features))
    assert out.iloc[0]["prediction"] == row["prediction"]
    assert classes["why"].str.contains("statt typisch").any()


def test_a_typology_needs_no_status_index(sample_inputs, profiles, tmp_path):
    """A county whose tables hold none of the status index's indicators (a census table alone) still gets types,
    from the latest period, and the run says so; the classifier of status classes cannot and says why."""
    settings, catalog, _, _ = sample_inputs
    p, m = profiles
    # as features writes the profiles of such a county: no index, and no indicator named for it
    p = p.assign(status_index=float("nan"), status_class=float("nan"), status_label=None, status_indicators="")
    s = configured(settings, tmp_path, typology=settings.training.typology.model_copy(
        update={"k_min": 3, "k_max": 4, "method": "kmeans"}))
    summary, model, _ = train_typology(p, m, catalog, s)
    # a missing index says nothing here: Gemeinden with a few suppressed cells keep their types, only those whose
    # every input is imputed (withheld small areas) are left out
    latest_rows = m[m["period"] == str(p["period"].max())]
    assert summary.metrics["n_regions"] >= len(latest_rows) - 3        # all 53 have some suppressed cell
    latest = str(p["period"].max())
    assert any(f"no period has a status index: the types are built from the profiles of {latest}" in n
               for n in summary.notes), summary.notes
    assert MlflowClient().get_run(summary.run_id).data.params["period"] == latest
    with pytest.raises(TrainingError, match="status indicators"):
        train_classifier(p, m, catalog, s)


def test_a_typology_of_one_indicator_is_refused_with_the_indicators_that_could_join(sample_inputs, profiles,
                                                                                      tmp_path):
    """Types from a single indicator are only its value ranges (a county table with one share that has a
    direction gave eight 'types' of the share of residents over 65). The job refuses and names what could join."""
    settings, catalog, _, _ = sample_inputs
    prof, model = profiles
    directed = [c for c in model.columns if c.startswith("m_") and catalog[c[2:]].polarity != 0
                and c[2:] not in settings.features.index.status_indicators]
    plain = [c for c in model.columns if c.startswith("m_") and catalog[c[2:]].polarity == 0
             and catalog[c[2:]].kind in ("share", "rate", "mean") and model[c].notna().any()]
    assert directed and plain                            # the sample has both kinds
    one = model.drop(columns=directed[1:])
    s = configured(settings, tmp_path, typology=settings.training.typology.model_copy(update={"period": "2015"}))
    with pytest.raises(TrainingError) as err:
        train_typology(prof, one, catalog, s)
    message = str(err.value)
    index = settings.features.index.status_indicators
    assert message.startswith(f"the typology needs at least two indicators; 2015 has values of only {directed[0][2:]} "
                              f"among those with a direction outside the status index ({', '.join(index)})")
    assert all(c[2:] in message for c in plain) and message.endswith("under training.typology.features")
    named = configured(settings, tmp_path, typology=settings.training.typology.model_copy(
        update={"period": "2015", "features": [plain[0][2:]]}))
    with pytest.raises(TrainingError, match=f"values of only {plain[0][2:]}: types from one indicator"):
        train_typology(prof, model, catalog, named)
    # two indicators are a typology, with the note that few carry it
    two = model.drop(columns=directed[2:])
    summary, _, descriptions = train_typology(prof, two, catalog, s)
    few = next(n for n in summary.notes if n.startswith("the types rest on 2 indicator(s) with a direction"))
    with_values = [i for i in index if f"m_{i}" in two.columns and two.loc[two["period"] == "2015", f"m_{i}"].notna().any()]
    assert with_values and f"the status index's indicators are left out by default ({', '.join(with_values)})" in few
    assert len(set(descriptions.values())) == len(descriptions)
