"""The impact job, one MLflow run: every evaluated measure's effect on each of its target indicators in each of
its regions (``models.impact``), in plain German, into the store table ``impacts``.

Comparison regions are those of the profiles' level with no other measure on the same indicator active during
the series; among them the ``impact.donors`` most alike in the period before the start, in the metric a GMLVQ
learns on that period's profiles (status class as the target; plain distance where it cannot be learned).
Measures on the same indicator in one region are told apart by their starts (:class:`Window`).
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


def _label(o) -> str:
    return f"{o.measure_id} „{o.title}“ (seit {int(o.start)})"


@dataclass
class Window:
    """The years one estimate speaks of in one region, where other measures work on the same indicator there:
    up to the year before a later one starts (or the measure's own end), and net of earlier ones still running (the
    synthetic twin fitted before the first of them began). Measures starting in the same year stay together."""
    start: str
    end: str
    fit_until: str
    earlier: list
    later: list
    same: list
    open: bool          # the window runs to the series' last year

    @property
    def since(self) -> str:
        """The sentence's opening: the years the effect is the mean over."""
        if self.open:
            return "Seit Beginn der Maßnahme"
        if self.end == self.start:
            return f"Im ersten Jahr der Maßnahme ({self.start})"
        return f"Von Beginn der Maßnahme ({self.start}) bis {self.end}"

    def note(self, region: str) -> str:
        """What the window means, in German ('' for a measure alone in its region)."""
        text = ""
        if self.later:
            text += (f" Geschätzt bis {self.end}: ab {min(int(o.start) for o in self.later)} wirkt in {region} auch "
                     f"{'; '.join(_label(o) for o in self.later)} auf denselben Indikator.")
        if self.earlier:
            text += (f" Gemessen wird, was seit {self.start} zu dem Abstand hinzukam, den in {region} schon "
                     f"{'; '.join(_label(o) for o in self.earlier)} bewirkte; angenommen ist, dass diese Wirkung auf "
                     "dem erreichten Stand blieb.")
        if self.same:
            text += (f" In {region} wirkt in dieser Zeit auch {'; '.join(_label(o) for o in self.same)} auf denselben "
                     f"Indikator: die Schätzung umfasst {'beide' if len(self.same) == 1 else 'alle'} und trennt sie "
                     "nicht.")
        return text


def _window(m, start: str, last: int, others: list) -> Window:
    """The window of measure ``m`` (a register row) in a region where ``others`` (decided or carried-out measures
    on the same indicator, active from ``start`` on) also work; ``last`` is the series' last year."""
    own_end = last if pd.isna(m.end) else min(int(m.end), last)
    earlier = [o for o in others if int(o.start) < int(start)]
    later = [o for o in others if int(start) < int(o.start) <= own_end]
    same = [o for o in others if int(o.start) == int(start)]
    end = min([own_end] + [int(o.start) - 1 for o in later])
    fit_until = str(min(int(o.start) for o in earlier)) if earlier else start
    return Window(start, str(end), fit_until, earlier, later, same, open=end >= last)


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
                window = _window(m, start, last, also.get(region, []))
                est = estimate(panel, region, start, donors, cfg.level, cfg.min_donors, cfg.min_pre, cfg.max_fit_ratio,
                               end=None if window.open else window.end, fit_until=window.fit_until)
                ind = catalog[indicator] if indicator in catalog else None
                text = sentence(est, f"„{ind.name}“" if ind else indicator, str(names.get(region, region)),
                                ind.unit if ind else "", {d: str(names.get(d, d)) for d in est.weights}, cfg.level,
                                since=window.since)
                expected = base["direction"]
                if est.distinguishable and expected:
                    text += (" Die Richtung entspricht dem Ziel der Maßnahme." if np.sign(est.effect) == expected
                             else " Die Richtung ist dem Ziel der Maßnahme entgegengesetzt.")
                if est.withheld is None:
                    text += window.note(str(names.get(region, region)))
                rows.append({**base, "window_end": window.end, "net_of": ",".join(o.measure_id for o in window.earlier),
                             "effect": est.effect, "lower": est.lower, "upper": est.upper,
                             "p_value": est.p_value, "did": est.did, "pre_rmspe": est.pre_rmspe,
                             "post_periods": est.post_periods, "weights": json.dumps(est.weights),
                             "distinguishable": est.distinguishable, "withheld": est.withheld, "sentence": text})
    table = pd.DataFrame(rows)
    for c in ("effect", "lower", "upper", "p_value", "did", "pre_rmspe", "post_periods"):
        if c not in table:
            table[c] = np.nan
    table["weights"] = table["weights"].fillna("{}") if "weights" in table else "{}"
    table["window_end"] = table["window_end"] if "window_end" in table else None
    table["net_of"] = table["net_of"].fillna("") if "net_of" in table else ""
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
