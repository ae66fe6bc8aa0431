"""The projection job (Demografie-Monitor), one MLflow run: check, choice, projection, bands, alignment, store.

1. **Check** on the register's own past: fitted ``check_lead`` years before the latest stand, compared on every
   later stand with the last count and each group's trend (``models.projection_check``).
2. **Served** per age group: the projection where it beat both baselines on every checked horizon within
   ``verdict_horizons``, otherwise the better baseline, and the table says so (``served_by``).
3. **Projection** from the latest stand, ``horizon_years`` ahead, with error bands from the model's errors at an
   earlier origin, optionally scaled to a higher level's given totals (``align_to``).
4. Counts below the small-number limit are suppressed; all counts are whole persons.

Store tables: ``projection`` (region, group, year, horizon, projected, lower, upper, served, served_by, flag,
run id) and ``projection_checks`` (the check's MAPE and WAPE per model, group and horizon, and the verdicts).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from features.level_sums import sum_up
from ml.age_groups import AgeGroup, AgeGroupError, planner_group
from ml.config import Settings
from ml.formatting import percent
from ml.tracking import job_run, log_provenance
from models.projection import (ProjectionError, ProjectionSettings, align, fit, in_groups,
                               population_from_observations, project)
from models.projection_check import (BASELINES, MODEL, MODEL_NAMES, backtest, baseline, choose_settings,
                                     error_bands, interval, verdicts)

TOTAL = "insgesamt"


@dataclass
class ProjectionSummary:
    """The projection run: id, regions, latest stand, the check's table and verdicts, what is served per group."""
    run_id: str
    n_regions: int
    latest: str
    check: pd.DataFrame
    verdicts: pd.DataFrame
    served_by: dict[str, str]
    projection: pd.DataFrame
    not_reported: list[str]
    settings: ProjectionSettings
    seconds: float


def reported_groups(labels: list[str]) -> tuple[list[AgeGroup], list[str]]:
    """The total and the configured groups, with their labels (:class:`ProjectionError` for a bad label)."""
    groups, names = [AgeGroup(0, None)], [TOTAL]
    for label in labels:
        try:
            g = planner_group(label)
        except AgeGroupError as exc:
            raise ProjectionError(f"projection.groups: {exc}") from None
        groups.append(g)
        names.append(g.label)
    return groups, names


def _death_rates(path: Path | None, open_age: int) -> tuple[float, ...] | None:
    if path is None:
        return None
    table = pd.read_csv(path, sep=None, engine="python")
    cols = {c.lower().strip(): c for c in table.columns}
    if not {"age", "rate"} <= set(cols) and not {"alter", "rate"} <= set(cols):
        raise ProjectionError(f"{path}: death rates need columns age (or alter) and rate")
    age = table[cols.get("age", cols.get("alter"))].astype(int)
    rate = table[cols["rate"]].astype(str).str.replace(",", ".").astype(float)
    series = pd.Series(rate.to_numpy(), index=age.to_numpy()).reindex(range(open_age + 1))
    if series.isna().any():
        missing = [int(a) for a in series.index[series.isna()]][:5]
        raise ProjectionError(f"{path}: no death rate for age(s) {missing} (ages 0..{open_age} needed)")
    return tuple(float(v) for v in series)


def _targets(path: Path, regions: pd.DataFrame, ids: pd.Index) -> tuple[dict[str, dict[str, float]], dict[str, np.ndarray]]:
    """Given totals per area and period, and each area's regions (an ancestor in the region list, or 'gesamt')."""
    table = pd.read_csv(path, sep=None, engine="python", dtype=str)
    need = {"region_id", "period", "value"}
    if not need <= set(table.columns):
        raise ProjectionError(f"{path}: alignment totals need columns region_id, period, value")
    parent = regions.set_index("region_id")["parent_id"].to_dict()

    def ancestors(r):
        seen = []
        while r in parent and parent[r] and parent[r] not in seen:
            r = parent[r]
            seen.append(r)
        return seen

    anc = {r: set(ancestors(r)) for r in ids}
    members: dict[str, np.ndarray] = {}
    out: dict[str, dict[str, float]] = {}
    for row in table.itertuples():
        area = str(row.region_id).strip()
        mask = np.ones(len(ids), bool) if area.lower() == "gesamt" else np.array([area in anc[r] for r in ids])
        if not mask.any():
            raise ProjectionError(f"{path}: {area!r} is neither 'gesamt' nor a region above the projected ones")
        members[area] = mask
        out.setdefault(str(row.period).strip(), {})[area] = float(str(row.value).replace(",", "."))
    return out, members


def _decide(table: pd.DataFrame, names: list[str], horizons: tuple[int, int]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Verdicts per group and horizon, and per group what is served: the projection where it beat both baselines
    on every checked horizon, else the baseline that was better on the longest."""
    v = verdicts(table, horizons) if not table.empty else pd.DataFrame()
    served = {}
    for name in names:
        rows = v[v["group"] == name] if len(v) else v
        if rows is None or len(rows) == 0:
            served[name] = MODEL          # nothing to check against: served, marked unchecked
        elif bool(rows["beats_both"].all()):
            served[name] = MODEL
        else:
            served[name] = str(rows.sort_values("horizon").iloc[-1]["baseline"])
    return v, served


def verdict_text(v: pd.DataFrame, served: dict[str, str], checked: bool) -> str:
    """The check in German, one sentence per group."""
    if not checked:
        return ("Die Projektion konnte nicht an früheren Ständen geprüft werden (zu wenige Stände); sie wird "
                "ungeprüft gezeigt.")
    lines = []
    for name, by in served.items():
        rows = v[v["group"] == name]
        if rows.empty:
            continue
        detail = "; ".join(f"nach {int(r.horizon)} Jahren mittlerer Fehler {percent(r.projection, 1)} gegen "
                           f"{percent(r.better_baseline, 1)} ({MODEL_NAMES[r.baseline]})" for r in rows.itertuples())
        if by == MODEL:
            lines.append(f"{name}: Projektion gezeigt — genauer als letzter Stand und Trend ({detail}).")
        else:
            lines.append(f"{name}: gezeigt wird „{MODEL_NAMES[by]}“ — die Projektion war in der Rückschau nicht "
                         f"genauer ({detail}).")
    return "\n".join(lines)


def run_projection(obs: pd.DataFrame, regions: pd.DataFrame, settings: Settings, store=None,
                   progress=None) -> ProjectionSummary:
    """The whole job on residents by age (``ew_alter_*`` observations); ``store`` receives the tables when given.
    ``progress`` gets a short German text per step."""
    cfg = settings.projection
    say = progress or (lambda text: None)
    t0 = time.perf_counter()
    level = cfg.level or settings.features.level
    ids = set(regions.loc[regions["level"] == level, "region_id"].astype(str))
    # a level whose regions have no table by age of their own (Bezirksregionen) gets its parts' groups summed
    obs, summed = sum_up(obs, regions, None, level, counts=pd.unique(obs["indicator_id"]))
    for note in summed:
        say(note)
    obs = obs[obs["region_id"].astype(str).isin(ids)]
    if obs.empty:
        raise ProjectionError(f"no residents by age for regions of level {level!r} (import a table by age with "
                              "'sozialradar ingest FILE --format age')")
    pop = population_from_observations(obs, cfg.open_age)
    parents = regions.set_index("region_id")["parent_id"].reindex(pop.regions)
    # the configured groups and those the planning norms need (Bestand und Bedarf)
    wanted = list(dict.fromkeys(list(cfg.groups) + [n.group for n in settings.coverage.norms]))
    groups, names = reported_groups(wanted)
    bounds = {0} | {g.lo for g in pop.groups[pop.times[-1]]} | {g.hi for g in pop.groups[pop.times[-1]] if g.hi}
    coarse = [n for g, n in zip(groups, names) if g.lo not in bounds or (g.hi is not None and g.hi not in bounds)]
    if coarse:
        say("nicht berichtet (die Einwohnertabelle hat an dieser Altersgrenze keine Spalte): " + ", ".join(coarse))
        keep = [i for i, n in enumerate(names) if n not in coarse]
        groups, names = [groups[i] for i in keep], [names[i] for i in keep]
    base = ProjectionSettings(open_age=cfg.open_age, window=cfg.window,
                              death_rates=_death_rates(cfg.death_rates, cfg.open_age))
    latest = pop.times[-1]
    if len([t for t in pop.times if latest - cfg.window <= t <= latest]) < 2:
        raise ProjectionError(f"the projection needs two stands within {cfg.window} years (projection.window); the "
                              f"store has {', '.join(pop.label(t) for t in pop.times)}")

    # 1. the check on the register's own past
    say("Prüfung an früheren Ständen")
    checkable = [t for t in pop.times
                 if t <= latest - cfg.check_lead and len([u for u in pop.times if t - cfg.window <= u <= t]) >= 2]
    table, choice_then = pd.DataFrame(), None
    if checkable:
        origin = max(checkable)
        chosen = choose_settings(pop, parents, origin, groups, names, base, cfg.min_count) if cfg.choose else None
        choice_then = chosen.settings if chosen else base
        table = backtest(pop, parents, origin, groups, names, choice_then, cfg.min_count)
    v, served = _decide(table, names, tuple(cfg.verdict_horizons))

    # 2. the projection from the latest stand
    say("Projektion ab dem letzten Stand")
    choice = choose_settings(pop, parents, latest, groups, names, base, cfg.min_count) if cfg.choose else None
    chosen_now = choice.settings if choice else base
    rates = fit(pop, parents, latest, chosen_now)
    years = project(pop, rates, cfg.horizon_years)
    bands, band_origin = error_bands(pop, parents, latest, groups, chosen_now, cfg.interval_level)
    targets, members = _targets(cfg.align_to, regions, pop.regions) if cfg.align_to else ({}, {})
    rows = []
    now = in_groups(pop.counts[latest], groups)
    for k in range(0, cfg.horizon_years + 1):
        year = latest + k
        if k == 0:
            pred, low, high = now, now, now
        else:
            single = years[year]
            label = pop.label(year)
            if label in targets:
                single = align(single, members, targets[label])
            pred = in_groups(single, groups)
            low, high = interval(pred, bands, k)
        served_values = {MODEL: pred}
        for how in BASELINES:
            served_values[how] = now if k == 0 else baseline(pop, latest, year, groups, how, chosen_now.window)
        for j, name in enumerate(names):
            by = served[name]
            rows.append(pd.DataFrame({
                "region_id": pop.regions, "group": groups[j].indicator_id.replace("ew_alter_", ""),
                "group_label": name, "period": pop.label(year), "horizon": k, "projected": pred[:, j],
                "lower": low[:, j], "upper": high[:, j], "served": served_values[by][:, j], "served_by": by,
                "checked": not table.empty}))
    out = pd.concat(rows, ignore_index=True)
    for c in ("projected", "lower", "upper", "served"):
        out[c] = out[c].round()
    small = out["served"] < settings.privacy.min_count
    out["flag"] = np.where(out["horizon"].eq(0), "observed", np.where(small, "suppressed", "ok"))
    out.loc[small & out["horizon"].gt(0), ["projected", "lower", "upper", "served"]] = np.nan
    seconds = time.perf_counter() - t0

    # 3. the run
    say("Lauf protokollieren")
    text = verdict_text(v, served, not table.empty)
    with job_run(settings.tracking.uri, cfg.experiment, "projection") as run:
        log_provenance(settings, obs, {"projection": cfg.model_dump(mode="json"), "level": level})
        mlflow.log_params({"chosen_smooth_years": chosen_now.smooth_years,
                           "chosen_shrink_persons": chosen_now.shrink_persons, "latest_stand": pop.label(latest),
                           "band_origin": "" if band_origin is None else pop.label(band_origin)})
        mlflow.log_metrics({"n_regions": float(len(pop.regions)), "seconds": seconds})
        errors = {}
        for r in table.itertuples():
            key = f"{r.group}".replace(" ", "_").replace("ä", "ae")
            errors[f"mape.{r.model}.{key}.h{r.horizon}"] = r.mape
            errors[f"wape.{r.model}.{key}.h{r.horizon}"] = r.wape
        mlflow.log_metrics(errors)           # one batch: a call per metric costs a database round trip each
        mlflow.log_text(table.to_csv(index=False), "pruefung.csv")
        mlflow.log_text(v.to_csv(index=False) if len(v) else "", "urteil.csv")
        mlflow.log_text(text, "urteil.txt")
        if choice is not None:
            mlflow.log_text(choice.scores.to_csv(index=False), "auswahl.csv")
        mlflow.log_text(bands.to_csv(index=False), "fehlerbaender.csv")
        mlflow.set_tag("urteil", text[:4900])
        if coarse:
            mlflow.set_tag("nicht_berichtet", ", ".join(coarse))
        out["run_id"] = run.info.run_id
    checks = table.assign(kind="pruefung")
    if len(v):
        checks = pd.concat([checks, v.assign(kind="urteil")], ignore_index=True)
    if store is not None:
        store.replace_table("projection", out)
        store.replace_table("projection_checks", checks.assign(run_id=run.info.run_id))
    return ProjectionSummary(run.info.run_id, len(pop.regions), pop.label(latest), table, v, served, out, coarse,
                             chosen_now, seconds)

