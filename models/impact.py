"""Did a measure work? The synthetic-control estimate of its effect, with placebo inference, beside a
difference-in-differences on matched donors.

For one treated region, one indicator and the measure's start period:

* **Donors** are untreated regions (none with an overlapping measure), the ``k`` most alike before the start —
  alike in the learned GMLVQ metric (distance (x − y)ᵀ Λ (x − y) on the profile's z-values) where one is given,
  else in plain distance.
* **Synthetic control** (Abadie, Diamond & Hainmueller 2010): non-negative donor weights summing to one that
  reproduce the treated region's path before the start as closely as possible; the effect is the mean gap
  between the region and its synthetic twin after the start.
* **Placebos in space**: every donor is treated as if it had the measure (the others as its donors). The p-value
  is the share of placebos whose post/pre error ratio is at least the treated region's. The 90 % interval is the
  estimate ± the ⌈(m + 1) · 0.9⌉-th smallest of the m placebos' absolute effects: the conformal rank, which
  holds its level when the treated region's error is exchangeable with the placebos' (Chernozhukov, Wüthrich &
  Zhu 2021). Fewer placebos than that rank needs (9 for 90 %): withheld. (The plain 5 %/95 % quantiles of the
  placebo effects were used before; with 15 placebos they are too narrow: 85–89 % coverage, 11–15 % false claims
  on measures without effect. Scaling each placebo by the fits' ratio covered less still.)
* **Difference in differences** on the same donors: the region's change from before to after, minus theirs.
* **A window** (``end``): the effect as the mean gap up to a given year (the measure's end, or the year before
  another measure on the indicator starts in the region). **Net of an earlier measure** (``fit_until``): the twin
  fitted before the earlier one began, the effect what the gap grew by from its level in the earlier measure's
  years — the later measure's part, if the earlier one's effect stayed where it was.
* The estimate is **withheld** with the reason (in German) when there are fewer than ``min_donors`` donors, fewer than
  ``min_pre`` periods before the start or one after, or the pre-period fit is poor: the region's pre-period
  error more than ``max_fit_ratio`` times the median placebo's (the region is unlike any mix of its donors).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from ml.formatting import de


@dataclass
class Impact:
    """One measure's effect on one indicator in one region: the synthetic-control estimate, its 90 % interval and
    p-value, the difference in differences, the fit, the donors and their weights; or why it is withheld."""
    effect: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    did: float | None
    pre_rmspe: float | None
    post_periods: int
    weights: dict[str, float] = field(default_factory=dict)
    withheld: str | None = None
    placebo_effects: list[float] = field(default_factory=list)
    level_before: float | None = None       # the region's mean in the periods the estimate compares with

    @property
    def distinguishable(self) -> bool:
        """Whether the interval excludes zero (an effect that can be told apart from noise)."""
        return self.lower is not None and (self.lower > 0 or self.upper < 0)


def synth_weights(y: np.ndarray, donors: np.ndarray, penalty: float = 1e3) -> np.ndarray:
    """Non-negative weights summing to one with donors @ w as close to y as possible (least squares; the sum
    constraint as a heavily weighted extra row). ``y``: periods; ``donors``: periods × donors."""
    scale = max(float(np.abs(donors).max()), 1e-9)
    a = np.vstack([donors / scale, penalty * np.ones(donors.shape[1])])
    b = np.concatenate([y / scale, [penalty]])
    w, _ = nnls(a, b, maxiter=50 * donors.shape[1])
    total = w.sum()
    return w / total if total > 0 else np.full(donors.shape[1], 1.0 / donors.shape[1])


def _sc(y: np.ndarray, donors: np.ndarray, pre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights and the gap path (region minus synthetic twin) over all periods."""
    w = synth_weights(y[pre], donors[pre])
    return w, y - donors @ w


def donor_pool(features: pd.DataFrame, treated: str, candidates: list[str], k: int,
               metric: np.ndarray | None = None) -> list[str]:
    """The ``k`` candidates most alike the treated region in ``features`` (regions × z-values before the start),
    by (x − y)ᵀ Λ (x − y) with the learned ``metric`` Λ, else squared Euclidean distance."""
    x = features.reindex(candidates).fillna(0.0).to_numpy(float)
    t = features.loc[treated].fillna(0.0).to_numpy(float)
    diff = x - t
    lam = np.eye(diff.shape[1]) if metric is None else np.asarray(metric, float)
    d = np.einsum("ij,jk,ik->i", diff, lam, diff)
    order = np.argsort(d, kind="stable")
    return [candidates[i] for i in order[:k]]


def _years(n: int) -> str:
    return "einem Jahr" if n == 1 else f"{n} Jahren"


def estimate(panel: pd.DataFrame, treated: str, start: str, donors: list[str], level: float = 0.9,
             min_donors: int = 5, min_pre: int = 4, max_fit_ratio: float = 2.0, end: str | None = None,
             fit_until: str | None = None) -> Impact:
    """The effect of a measure starting in ``start`` on ``treated`` (``panel``: regions × periods of one
    indicator, periods as sortable text): the mean gap to the synthetic twin over ``start`` … ``end`` (default:
    the last period).

    Where an earlier measure already works in the region (from ``fit_until`` < ``start`` on), the twin is fitted on
    the periods before ``fit_until`` only, and the effect is what the gap grew by from its mean over ``fit_until``
    … ``start`` − 1 (the earlier measure's years) to its mean over the window: the later measure's part, under the
    assumption that the earlier one's effect stays at the level it had reached. Placebos and the difference in
    differences are computed the same way."""
    periods = sorted(panel.columns.astype(str))
    panel = panel.set_axis(panel.columns.astype(str), axis=1)[periods]
    fit_until = str(start) if fit_until is None else min(str(fit_until), str(start))
    pre = np.array([p < fit_until for p in periods])
    base = np.array([fit_until <= p < str(start) for p in periods])
    post = np.array([str(start) <= p and (end is None or p <= str(end)) for p in periods])
    used = pre | base | post
    pool = [d for d in donors if d != treated and d in panel.index and panel.loc[d][used].notna().all()]
    n_post = int(post.sum())
    if treated not in panel.index or panel.loc[treated][used].isna().any():
        return Impact(None, None, None, None, None, None, n_post, withheld="die Reihe des Gebiets hat Lücken (gesperrte oder fehlende Werte)")
    if fit_until < str(start) and not base.any():
        return Impact(None, None, None, None, None, None, n_post,
                      withheld="keine Werte aus den Jahren, in denen die frühere Maßnahme allein wirkte")
    if pre.sum() < min_pre or n_post < 1:
        return Impact(None, None, None, None, None, None, n_post,
                      withheld=f"Werte aus {_years(int(pre.sum()))} vor dem Beginn und {_years(n_post)} danach (nötig: "
                               f"mindestens {min_pre} davor und 1 danach)")
    if len(pool) < min_donors:
        return Impact(None, None, None, None, None, None, n_post,
                      withheld=f"nur {len(pool)} Vergleichsgebiete mit vollständiger Reihe (nötig: mindestens {min_donors})")
    y = panel.loc[treated].to_numpy(float)
    donor_y = panel.loc[pool].to_numpy(float).T                       # periods × donors
    pre, base, post = pre[used], base[used], post[used]
    y, donor_y = y[used], donor_y[used]
    ref = base if base.any() else pre                                 # what the window is compared with

    def after(gap: np.ndarray) -> np.ndarray:
        """The window's gaps, less the level the earlier measure had reached (if any)."""
        return gap[post] - (gap[base].mean() if base.any() else 0.0)

    w, gap = _sc(y, donor_y, pre)
    effect = float(after(gap).mean())
    pre_rmspe = float(np.sqrt(np.mean(gap[pre] ** 2)))
    ratio = float(np.sqrt(np.mean(after(gap) ** 2))) / max(pre_rmspe, 1e-9)
    placebo_effects, placebo_ratios, placebo_pre = [], [], []
    for j in range(donor_y.shape[1]):
        others = np.delete(donor_y, j, axis=1)
        _, g = _sc(donor_y[:, j], others, pre)
        rm = float(np.sqrt(np.mean(g[pre] ** 2)))
        placebo_effects.append(float(after(g).mean()))
        placebo_pre.append(rm)
        placebo_ratios.append(float(np.sqrt(np.mean(after(g) ** 2))) / max(rm, 1e-9))
    did = float((y[post].mean() - y[ref].mean()) - (donor_y[post].mean() - donor_y[ref].mean()))
    weights = {d: float(v) for d, v in zip(pool, w) if v > 1e-3}
    typical = float(np.median(placebo_pre))
    if pre_rmspe > max_fit_ratio * max(typical, 1e-9):
        return Impact(None, None, None, None, did, pre_rmspe, n_post, weights,
                      withheld=f"die Vergleichsgebiete bilden den Verlauf vor dem Beginn nicht nach (Abweichung "
                               f"{de(pre_rmspe, 2)}, das {de(pre_rmspe / max(typical, 1e-9), 1)}-Fache eines typischen "
                               "Gebiets)",
                      placebo_effects=placebo_effects)
    m = len(placebo_effects)
    rank = math.ceil(round((m + 1) * level, 9))
    if rank > m:
        return Impact(None, None, None, None, did, pre_rmspe, n_post, weights,
                      withheld=f"{m} Vergleichsgebiete reichen nicht für ein {round(level * 100)} %-Intervall (nötig: "
                               f"mindestens {math.ceil(round(level / (1 - level), 9))})",
                      placebo_effects=placebo_effects)
    q = float(np.sort(np.abs(placebo_effects))[rank - 1])
    p = (1 + sum(r >= ratio for r in placebo_ratios)) / (m + 1)
    return Impact(effect, effect - q, effect + q, float(p), did, pre_rmspe, n_post, weights,
                  placebo_effects=placebo_effects, level_before=float(y[ref].mean()))


def before_after(panel: pd.DataFrame, treated: str, start: str) -> float:
    """The plain comparison: the region's mean after the start minus its mean before."""
    s = panel.loc[treated]
    after = s.index.astype(str) >= str(start)
    return float(s[after].mean() - s[~after].mean())


def did_all(panel: pd.DataFrame, treated: str, start: str, untreated: list[str]) -> float:
    """Difference in differences against every untreated region (no matching)."""
    after = panel.columns.astype(str) >= str(start)
    y = panel.loc[treated]
    rest = panel.loc[[u for u in untreated if u != treated]]
    return float((y[after].mean() - y[~after].mean()) - (rest.loc[:, after].mean().mean() - rest.loc[:, ~after].mean().mean()))


def comparison_phrase(weights: dict[str, float], donors: dict[str, str], shown: int = 4) -> str:
    """Whom the estimate compares with, by weight: one region by name, a mixture with each region's share (the
    ``shown`` largest, then how many more)."""
    ranked = sorted(((d, w) for d, w in weights.items() if w > 0), key=lambda kv: -kv[1])
    if len(ranked) == 1:
        return f"Verglichen wird mit einem ähnlichen Gebiet ohne Maßnahme ({donors.get(ranked[0][0], ranked[0][0])})"
    total = sum(w for _, w in ranked) or 1.0
    parts = [f"{donors.get(d, d)} {de(100 * w / total, 0) if 100 * w / total >= 0.5 else 'unter 1'} %"
             for d, w in ranked[:shown]]
    more = len(ranked) - shown
    tail = " und ein weiteres" if more == 1 else f" und {more} weitere" if more > 1 else ""
    return ("Verglichen wird mit einer gewichteten Mischung ähnlicher Gebiete ohne Maßnahme "
            f"({'; '.join(parts)}{tail})")


def detectable(impact: Impact, unit: str) -> str:
    """How large a difference the comparison could have told apart from noise: the interval's half width, and where
    that is half the region's level before or more, that the evaluation cannot answer the question here."""
    half = (impact.upper - impact.lower) / 2
    unit = "Prozentpunkten" if unit == "Prozentpunkte" else unit          # 'von mehr als …' takes the dative
    text = f" Erkennbar wäre erst ein Unterschied von mehr als {de(half, 1)}" + (f" {unit}" if unit else "")
    base = impact.level_before
    if base is None or not math.isfinite(base) or base == 0:             # no level to measure it against
        return text + "."
    share = half / abs(base)
    if share >= 0.5:
        return text + (f" ({de(100 * share, 0)} % des Werts vor dem Beginn): bei den Schwankungen solcher Gebiete "
                       "lässt sich hier eine Wirkung der Maßnahme kaum nachweisen.")
    return text + f" ({de(100 * share, 0)} % des Werts vor dem Beginn)."


def sentence(impact: Impact, indicator: str, region: str, unit: str, donors: dict[str, str], level: float = 0.9,
             since: str = "Seit Beginn der Maßnahme") -> str:
    """The estimate in plain German, naming the comparison regions and the design's caveat; ``since`` names the
    window (a measure that ended, or one estimated up to another's start: "Von Beginn der Maßnahme bis 2020")."""
    if impact.withheld:
        return f"Für {indicator} in {region} lässt sich keine Wirkung schätzen: {impact.withheld}."
    unit = "Prozentpunkte" if unit == "%" else unit
    caveat = f" {comparison_phrase(impact.weights, donors)}; ein Unterschied kann auch andere Ursachen haben, die " \
             "nur dieses Gebiet betreffen."
    if not impact.distinguishable:
        return (f"{since} unterscheidet sich {indicator} in {region} nicht erkennbar vom Verlauf "
                f"vergleichbarer Gebiete ({de(impact.effect, 1)} {unit}, {round(level * 100)} %-Intervall "
                f"{de(impact.lower, 1)} bis {de(impact.upper, 1)})." + detectable(impact, unit) + caveat)
    direction = "über" if impact.effect > 0 else "unter"
    return (f"{since} liegt {indicator} in {region} um {de(abs(impact.effect), 1)} {unit} "
            f"{direction} dem Verlauf vergleichbarer Gebiete ({round(level * 100)} %-Intervall {de(impact.lower, 1)} bis "
            f"{de(impact.upper, 1)}).{caveat}")
