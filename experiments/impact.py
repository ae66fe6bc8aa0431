"""The impact job, one MLflow run: every evaluated measure's effect on each of its target indicators in each of
its regions (``models.impact``), in plain German, into the store table ``impacts``.

Comparison regions are those of the profiles' level with no other measure on the same indicator active during
the series; among them the ``impact.donors`` most alike in the period before the start, in the metric a GMLVQ
learns on that period's profiles (status class as the target; plain distance where it cannot be learned).
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass

import mlflow
import numpy as np
import pandas as pd

from ml.catalog import Catalog
from ml.columns import MODEL, rename_to_ids
from ml.config import Settings
from ml.regions import at_level
from ml.tracking import job_run, log_provenance
from models.impact import donor_pool, estimate, sentence


class ImpactError(ValueError):
    """Nothing to evaluate: no register, no measure of the evaluated statuses, or no profiles."""


@dataclass
class ImpactSummary:
    """The impact run: its id, the estimates (one row per measure, region and indicator) and the seconds."""
    run_id: str
    table: pd.DataFrame
    seconds: float


def donor_metric(matrix: pd.DataFrame, profiles: pd.DataFrame, period: str) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The profiles' z-values of ``period`` (indicators complete that period) and the GMLVQ metric learned on
    them with the status class as the target (None where too few classes or regions)."""
    from models.lvq import GMLVQ

    m = matrix[matrix["period"].astype(str) == period].set_index("region_id")
    features = rename_to_ids(m, MODEL).astype(float)
    features = features.loc[:, features.notna().all()]
    target = profiles[profiles["period"].astype(str) == period].set_index("region_id")["status_label"]
    target = target.reindex(features.index)
    keep = target.notna()
    if target[keep].nunique() < 2 or keep.sum() < 10 or features.shape[1] == 0:
        return features, None
    return features, GMLVQ(random_state=0).fit(features[keep].to_numpy(), target[keep].to_numpy()).lambda_


def _active(m: pd.Series, first: int, last: int) -> bool:
    end = m["end"] if pd.notna(m["end"]) else 9999
    return int(m["start"]) <= last and int(end) >= first


def run_impact(values: pd.DataFrame, matrix: pd.DataFrame, profiles: pd.DataFrame, measures: pd.DataFrame,
               regions: pd.DataFrame, catalog: Catalog, settings: Settings, store=None, progress=None) -> ImpactSummary:
    """The whole job; ``store`` receives the table ``impacts`` when given."""
    cfg = settings.impact
    say = progress or (lambda text: None)
    evaluated = measures[measures["status"].isin(cfg.statuses)]
    if evaluated.empty:
        raise ImpactError(f"no measure with status {', '.join(cfg.statuses)} in the register (impact.statuses)")
    level = settings.features.level
    level_ids = set(regions.loc[regions["level"] == level, "region_id"])

    @functools.cache
    def reach(listed: str) -> dict[str, list[str]]:
        """The register's regions → the regions of the profiles' level each stands for (a Sozialregion: its
        Gemeinden)."""
        return at_level(regions, [r for r in str(listed).split(",") if r], level)

    names = regions.set_index("region_id")["name"].to_dict()
    v = values[values["period"].astype(str).str.fullmatch(r"\d{4}") & values["region_id"].isin(level_ids)]
    v = v.assign(value=v["value"].where(v["flag"] != "suppressed"))
    t0 = time.perf_counter()
    cache: dict[str, tuple] = {}
    rows = []
    for n, m in enumerate(evaluated.itertuples(index=False), start=1):
        say(f"Maßnahme {m.measure_id} ({n} von {len(evaluated)})")
        start = str(int(m.start))
        for indicator in [i for i in str(m.indicators).split(",") if i]:
            series = v[v["indicator_id"] == indicator]
            panel = series.pivot_table(index="region_id", columns="period", values="value")
            panel = panel.set_axis(panel.columns.astype(str), axis=1)
            first, last = (int(panel.columns.min()), int(panel.columns.max())) if panel.shape[1] else (0, 0)
            busy, also = set(), {}
            for other in measures.itertuples(index=False):
                if other.measure_id != m.measure_id and indicator in str(other.indicators).split(",") and \
                        _active(pd.Series(other._asdict()), first, last):
                    busy |= {r for rs in reach(str(other.regions)).values() for r in rs}
                    if other.status in ("beschlossen", "umgesetzt") and _active(pd.Series(other._asdict()),
                                                                                 int(start), last):
                        for r in {r for rs in reach(str(other.regions)).values() for r in rs}:
                            also.setdefault(r, []).append(other)
            before = str(int(start) - 1)
            if before not in cache:
                cache[before] = donor_metric(matrix, profiles, before)
            features, metric = cache[before]
            reached = reach(str(m.regions))
            treated_regions = {r for rs in reached.values() for r in rs}
            for region in [r for listed, rs in reached.items() for r in (rs or [listed])]:
                base = {"measure_id": m.measure_id, "title": m.title, "region_id": region, "indicator_id": indicator,
                        "start": start, "direction": int(m.direction) if pd.notna(m.direction) else 0,
                        "metric": "gmlvq" if metric is not None else "euclid"}
                if region not in level_ids or panel.empty or region not in panel.index:
                    why = (f"das Gebiet liegt nicht auf der Ebene der Profile ({level}) und enthält keine Gebiete "
                           "dieser Ebene" if region not in level_ids else
                           "für das Gebiet liegen keine Werte des Indikators vor")
                    rows.append({**base, "withheld": why, "sentence": f"Keine Schätzung: {why}."})
                    continue
                candidates = [r for r in panel.index if r not in treated_regions and r not in busy and r in features.index]
                donors = donor_pool(features, region, candidates, cfg.donors, metric) if region in features.index \
                    else candidates[:cfg.donors]
                est = estimate(panel, region, start, donors, cfg.level, cfg.min_donors, cfg.min_pre, cfg.max_fit_ratio)
                ind = catalog[indicator] if indicator in catalog else None
                text = sentence(est, f"„{ind.name}“" if ind else indicator, str(names.get(region, region)),
                                ind.unit if ind else "", {d: str(names.get(d, d)) for d in est.weights}, cfg.level)
                expected = base["direction"]
                if est.distinguishable and expected:
                    text += (" Die Richtung entspricht dem Ziel der Maßnahme." if np.sign(est.effect) == expected
                             else " Die Richtung ist dem Ziel der Maßnahme entgegengesetzt.")
                if est.withheld is None and region in also:
                    others = "; ".join(f"{o.measure_id} „{o.title}“ (seit {int(o.start)})" for o in also[region])
                    text += (f" In {names.get(region, region)} wirkt in dieser Zeit auch {others} auf denselben "
                             f"Indikator: die Schätzung umfasst {'beide' if len(also[region]) == 1 else 'alle'} "
                             "und trennt sie nicht.")
                rows.append({**base, "effect": est.effect, "lower": est.lower, "upper": est.upper,
                             "p_value": est.p_value, "did": est.did, "pre_rmspe": est.pre_rmspe,
                             "post_periods": est.post_periods, "weights": json.dumps(est.weights),
                             "distinguishable": est.distinguishable, "withheld": est.withheld, "sentence": text})
    table = pd.DataFrame(rows)
    for c in ("effect", "lower", "upper", "p_value", "did", "pre_rmspe", "post_periods"):
        if c not in table:
            table[c] = np.nan
    table["weights"] = table["weights"].fillna("{}") if "weights" in table else "{}"
    table["distinguishable"] = (table["distinguishable"].astype("boolean").fillna(False).astype(bool)
                                if "distinguishable" in table else False)
    seconds = time.perf_counter() - t0
    with job_run(settings.tracking.uri, cfg.experiment, "impact") as run:
        log_provenance(settings, v, {"impact": cfg.model_dump(mode="json"), "level": level})
        mlflow.log_metrics({"estimates": float(table["withheld"].isna().sum()), "withheld": float(table["withheld"].notna().sum()),
                            "seconds": seconds})
        mlflow.log_metrics({f"effect.{r.measure_id}.{r.region_id}.{r.indicator_id}": float(r.effect)
                            for r in table[table["withheld"].isna()].itertuples()})
        mlflow.log_text(table.to_csv(index=False), "wirkung.csv")
        mlflow.log_text("\n".join(table["sentence"]), "wirkung.txt")
        table["run_id"] = run.info.run_id
    if store is not None:
        store.replace_table("impacts", table)
    return ImpactSummary(run.info.run_id, table, seconds)
