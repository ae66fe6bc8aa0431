"""The synthetic county "Musterkreis": a deterministic, realistic monitoring with planted structure.

53 Gemeinden (fictional names) in 7 Sozialregionen, annual values for every catalog indicator and its
basis counts, and monthly unemployment counts with seasonality. Counts are drawn from binomial and
Poisson laws on the population of the right age group, so shares always match their numerators and
denominators. Planted, and written to ``ground_truth.json``:

* five social-space types with distinct latent profiles (poverty, ageing, urbanity, families);
* a county-wide lead-lag structure: every Gemeinde's poverty drifts with a persistent latent strain, which
  youth welfare cases, child maintenance advances and youth unemployment register ``LEAD_YEARS`` before
  transfer receipt and unemployment do;
* Gemeinden whose social situation deteriorates from a stated onset year (onsets staggered over the years,
  so that a county's own history holds earlier deteriorations to learn from);
* small Gemeinden whose counts fall below the suppression threshold (some below 300 residents).

Longer than 450 lines because the generator is one function drawing every indicator of the catalog from the same
latent county (its structure, noise and planted deteriorations must stay in one place to stay consistent); the
constants before it document the design.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ml.catalog import Catalog
from ml.config import SyntheticConfig
from ml.geometry import synthetic_polygons

KREIS_ID = "14599"
KREIS_NAME = "Musterkreis"

TYPES = {
    "T1": ("Städtisches Zentrum", "dicht, jung, hohe Transferabhängigkeit und Zuwanderung"),
    "T2": ("Stabile Kleinstadt", "mittlere Dichte, durchschnittliche Lagen"),
    "T3": ("Suburbaner Familienwohnort", "viele Kinder, geringe Armut, Zuzug"),
    "T4": ("Ländlich-alternder Raum", "dünn besiedelt, hohes Alter, Abwanderung, gute Einkommenslage"),
    "T5": ("Strukturschwacher ländlicher Raum", "hohe Arbeitslosigkeit, Alter, geringe Bildungsabschlüsse"),
}
# latent means per type: poverty, ageing, urbanity, family, migration (in standard units)
_LATENT = {
    "T1": (1.6, -0.5, 2.0, -0.3, 1.6),
    "T2": (0.3, 0.2, 0.7, 0.0, 0.3),
    "T3": (-1.1, -0.9, 0.2, 1.4, -0.2),
    "T4": (-0.4, 1.0, -1.1, -0.7, -0.7),
    "T5": (1.1, 0.8, -0.8, -0.5, -0.5),
}
_TYPE_COUNTS = {"T1": 4, "T2": 10, "T3": 13, "T4": 14, "T5": 12}
_POP_RANGE = {"T1": (16000, 40000), "T2": (4500, 15000), "T3": (1800, 9000), "T4": (600, 3500), "T5": (700, 4200)}
_GROWTH = {"T1": 0.002, "T2": -0.003, "T3": 0.008, "T4": -0.011, "T5": -0.013}

_PREFIXES = ["Birken", "Eichen", "Linden", "Erlen", "Fichten", "Tannen", "Buchen", "Ahorn", "Weiden", "Espen",
             "Mühl", "Stein", "Berg", "Wald", "Heide", "Rosen", "Grün", "Hohen", "Nieder", "Ober", "Kalten",
             "Wiesen", "Sand", "Lerchen", "Falken", "Kranich", "Otter", "Biber", "Hasel", "Kirsch", "Brunnen",
             "Schön", "Frei", "Alt", "Neu", "Rot", "Weiß", "Schwarz", "Gold", "Silber", "Lauter", "Klee"]
_SUFFIXES = ["au", "bach", "berg", "dorf", "feld", "grün", "hain", "tal", "walde", "stein", "brück", "hausen",
             "roda", "witz", "leben", "heim", "wiese", "born", "burg", "furt"]
_SOZIALREGIONEN = ["Nord", "Nordost", "Ost", "Süd", "Südwest", "West", "Mitte", "Nordwest", "Südost", "Zentrum"]

_AGE_BANDS = ("ew_unter6", "ew_6_14", "ew_15_17", "ew_18_24", "ew_25_54", "ew_55_64", "ew_65_79", "ew_80plus")
_AGE_BASE = np.array([0.050, 0.080, 0.026, 0.060, 0.370, 0.160, 0.180, 0.074])
_AGE_AGEING = np.array([-0.20, -0.18, -0.12, -0.16, -0.08, 0.06, 0.17, 0.24])
_AGE_FAMILY = np.array([0.30, 0.28, 0.20, 0.00, 0.06, -0.08, -0.15, -0.15])
_SEASON = np.array([1.10, 1.11, 1.07, 1.01, 0.97, 0.95, 0.98, 0.99, 0.95, 0.93, 0.94, 1.00])
_ELECTION_YEARS = (2013, 2014, 2017, 2019, 2021, 2024, 2025)
LEAD_YEARS = 2
"""Years by which the planted precursors of a deteriorating Gemeinde lead its rise in transfer receipt."""
LEAD_GAIN = 2.5
"""How much more strongly the precursors respond to a planted deterioration than transfer receipt does (with 1
the lead signal drowns in the binomial noise of small Gemeinden)."""
STRAIN_SD = 0.2
"""Yearly shock of the latent strain (standard units of the poverty factor)."""
STRAIN_PERSISTENCE = 0.8
"""AR(1) coefficient of the latent strain: shocks fade by a fifth per year (stationary sd ≈ 0.33)."""
SLOPE_RANGE = (0.45, 0.60)
"""Yearly rise of poverty in a deteriorating Gemeinde (levels off at +1.4): large enough that the status index
rises by about δ = 0.5 within the two-year horizon of the early warning from the year before onset."""
ONSET_WINDOW = (7, 3)
"""Planted onsets lie from ``first_year + 7`` to ``last_year - 3``: seven years of history first (for the
two-year changes and the first transitions to learn from), and the outcome two years after the last
pre-onset year still observed."""


@dataclass(frozen=True)
class Sample:
    """A generated county: its regions, long observations and the ground truth of what was planted."""
    regions: pd.DataFrame
    observations: pd.DataFrame
    ground_truth: dict


def _sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _names(rng: np.random.Generator, n: int) -> list[str]:
    seen: set[str] = set()
    out = []
    while len(out) < n:
        name = rng.choice(_PREFIXES) + rng.choice(_SUFFIXES)
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _scaled_type_counts(n: int) -> dict[str, int]:
    total = sum(_TYPE_COUNTS.values())
    counts = {t: max(1, round(c * n / total)) for t, c in _TYPE_COUNTS.items()}
    diff = n - sum(counts.values())
    counts["T4"] += diff
    return counts


def generate(cfg: SyntheticConfig, catalog: Catalog) -> Sample:
    """Generate the Musterkreis deterministically from ``cfg.seed``."""
    rng = np.random.default_rng(cfg.seed)
    years = np.arange(cfg.first_year, cfg.last_year + 1)
    n_years = len(years)
    counts = _scaled_type_counts(cfg.n_gemeinden)
    types = np.array([t for t, c in counts.items() for _ in range(c)])
    rng.shuffle(types)
    n = len(types)
    latent = np.array([_LATENT[t] for t in types]) + rng.normal(0, 0.25, size=(n, 5))
    poverty, ageing, urban, family, migration = latent.T

    # populations: small Gemeinden are planted explicitly
    pop0 = np.array([rng.uniform(*_POP_RANGE[t]) for t in types])
    rural = np.flatnonzero(np.isin(types, ["T4", "T5"]))
    tiny = rng.choice(rural, size=min(6, len(rural)), replace=False)
    pop0[tiny[:2]] = rng.uniform(230, 290, size=len(tiny[:2]))  # below the 300-resident threshold
    pop0[tiny[2:]] = rng.uniform(330, 650, size=len(tiny) - 2)
    growth = np.array([_GROWTH[t] for t in types]) + rng.normal(0, 0.003, n)

    # deteriorating Gemeinden: rising poverty from an onset year
    det_candidates = np.flatnonzero(~np.isin(np.arange(n), tiny) & np.isin(types, ["T2", "T3", "T4"]))
    n_det = min(cfg.n_deteriorating, len(det_candidates))
    deteriorating = np.sort(rng.choice(det_candidates, size=n_det, replace=False))
    onset = np.zeros(n, dtype=int)
    # staggered: spread evenly over the onset window, in random order
    spread = np.rint(np.linspace(cfg.first_year + ONSET_WINDOW[0], cfg.last_year - ONSET_WINDOW[1], n_det))
    onset[deteriorating] = rng.permutation(spread.astype(int))
    slope = np.zeros(n)
    slope[deteriorating] = rng.uniform(*SLOPE_RANGE, size=n_det)
    # latent strain, AR(1) per Gemeinde; drawn LEAD_YEARS beyond the last year because the precursors see it early
    strain = np.zeros((n, n_years + LEAD_YEARS))
    for k in range(1, n_years + LEAD_YEARS):
        strain[:, k] = STRAIN_PERSISTENCE * strain[:, k - 1] + rng.normal(0, STRAIN_SD, n)

    # a movement all Gemeinden share (AR(1) like the strain), from its own random stream so that everything else
    # is drawn the same with or without it; the precursors see it LEAD_YEARS early too
    shared = np.zeros(n_years + LEAD_YEARS)
    if cfg.county_movement > 0:
        county_rng = np.random.default_rng([cfg.seed, 1])
        for k in range(1, n_years + LEAD_YEARS):
            shared[k] = cfg.county_persistence * shared[k - 1] + county_rng.normal(0, cfg.county_movement)

    # regions and names
    # 8-digit AGS: Gemeinde numbers 010, 020, … (as many Kreise number them); 001, 002, … beyond 99 Gemeinden
    step = 10 if n <= 99 else 1
    ags = [f"{KREIS_ID}{(i + 1) * step:03d}" for i in range(n)]
    names = _names(rng, n)
    names = [f"{nm}, Stadt" if t in ("T1", "T2") else nm for nm, t in zip(names, types)]
    n_sr = cfg.n_sozialregionen
    sr_ids = [f"{KREIS_ID}SR{k + 1}" for k in range(n_sr)]
    sr_names = [f"Sozialregion {_SOZIALREGIONEN[k]}" if k < len(_SOZIALREGIONEN) else f"Sozialregion {k + 1}"
                for k in range(n_sr)]
    order = rng.permutation(n)
    sozialregion = np.empty(n, dtype=object)
    for rank, i in enumerate(order):
        sozialregion[i] = sr_ids[rank % n_sr]
    regions = pd.DataFrame(
        [{"region_id": KREIS_ID, "name": KREIS_NAME, "level": "kreis", "parent_id": None}]
        + [{"region_id": s, "name": nm, "level": "sozialregion", "parent_id": KREIS_ID} for s, nm in zip(sr_ids, sr_names)]
        + [{"region_id": a, "name": nm, "level": "gemeinde", "parent_id": sr} for a, nm, sr in zip(ags, names, sozialregion)]
    )

    # time effects: labour market improves until 2019, pandemic bump 2020/21
    t = years - cfg.first_year
    labour_trend = 0.30 - 0.06 * np.minimum(t, 9) + np.where(years == 2020, 0.18, 0) + np.where(years == 2021, 0.10, 0)
    area = np.where(np.isin(types, ["T1", "T2"]), rng.uniform(20, 60, n), rng.uniform(12, 70, n))
    boundary = 4.2 * np.sqrt(area) * rng.uniform(1.05, 1.5, n)

    rows: list[tuple] = []
    monthly_rows: list[tuple] = []

    def add(region: str, ind: str, year: int, value: float, num: float | None = None, den: float | None = None) -> None:
        rows.append((region, ind, str(year), value, num, den))

    for g in range(n):
        pop = pop0[g] * np.exp(growth[g] * t + np.cumsum(rng.normal(0, 0.004, n_years)))
        # deterioration accumulates from the onset year and levels off at +1.4 standard units
        pov = (poverty[g] + strain[g, :n_years]
               + np.minimum(slope[g] * np.clip(years - onset[g] + 1, 0, None), 1.4) * (onset[g] > 0))
        pov_t = pov + labour_trend + shared[:n_years]
        # leading signals: youth welfare cases, child maintenance advances and youth unemployment feel the
        # strain and a planted deterioration LEAD_YEARS before transfer receipt does (the precursors of the
        # early warning)
        lead = (poverty[g] + strain[g, LEAD_YEARS:]
                + LEAD_GAIN * np.minimum(slope[g] * np.clip(years - onset[g] + 1 + LEAD_YEARS, 0, None), 1.4)
                * (onset[g] > 0))
        lead_t = lead + labour_trend + shared[LEAD_YEARS:]
        age_t = ageing[g] + 0.03 * t
        for k, year in enumerate(years):
            region = ags[g]
            ew = int(round(pop[k]))
            logits = np.log(_AGE_BASE) + _AGE_AGEING * age_t[k] + _AGE_FAMILY * family[g]
            shares = np.exp(logits) / np.exp(logits).sum()
            bands = rng.multinomial(ew, shares)
            b = dict(zip(_AGE_BANDS, bands.tolist()))
            ew_u15 = b["ew_unter6"] + b["ew_6_14"]
            ew_u18 = ew_u15 + b["ew_15_17"]
            ew_15_24 = b["ew_15_17"] + b["ew_18_24"]
            ew_18_64 = b["ew_18_24"] + b["ew_25_54"] + b["ew_55_64"]
            ew_15_64 = b["ew_15_17"] + ew_18_64
            ew_65 = b["ew_65_79"] + b["ew_80plus"]
            ew_u65 = ew - ew_65
            for key, v in b.items():
                add(region, key, year, v)
            for key, v in (("ew_unter15", ew_u15), ("ew_unter18", ew_u18), ("ew_15_24", ew_15_24),
                           ("ew_15_64", ew_15_64), ("ew_18_64", ew_18_64), ("ew_unter65", ew_u65), ("ew_65plus", ew_65)):
                add(region, key, year, v)
            add(region, "einwohner", year, ew)

            def share(ind: str, num_id: str, den_id: str, num: int, den: int, scale: float = 100.0) -> None:
                add(region, num_id, year, num)
                value = round(scale * num / den, 2) if den > 0 else None
                if value is not None:
                    add(region, ind, year, value, num, den)

            def draw(den: int, logit: float) -> int:
                return int(rng.binomial(max(den, 0), float(_sigmoid(logit))))

            # --- space
            wohnbau = area[g] * float(_sigmoid(-3.2 + 0.6 * urban[g]))
            verkehr = area[g] * float(_sigmoid(-2.9 + 0.25 * urban[g]))
            gewerbe = area[g] * float(_sigmoid(-4.0 + 0.5 * urban[g] - 0.2 * poverty[g]))
            add(region, "gebietsgrenze_km", year, round(boundary[g], 1))
            add(region, "flaeche_km2", year, round(area[g], 2))
            for ind, basis, val in (("wohnbauflaeche_anteil", "wohnbauflaeche_km2", wohnbau),
                                    ("verkehrsflaeche_anteil", "verkehrsflaeche_km2", verkehr),
                                    ("gewerbeflaeche_anteil", "gewerbeflaeche_km2", gewerbe)):
                add(region, basis, year, round(val, 3))
                add(region, ind, year, round(100 * round(val, 3) / round(area[g], 2), 2), round(val, 3), round(area[g], 2))

            # --- households and housing
            hh_size = 2.05 - 0.12 * urban[g] + 0.18 * family[g] - 0.06 * age_t[k] + rng.normal(0, 0.02)
            hh_size = float(np.clip(hh_size, 1.6, 2.6))
            haushalte = int(round(ew / hh_size))
            share_1p = float(_sigmoid(_logit(0.38) + 0.25 * urban[g] - 0.35 * family[g] + 0.12 * age_t[k]))
            hh1 = int(rng.binomial(haushalte, share_1p))
            add(region, "haushalte", year, haushalte)
            add(region, "haushaltsgroesse", year, round(ew / haushalte, 2), ew, haushalte)
            share("einpersonenhaushalte_anteil", "haushalte_1p", "haushalte", hh1, haushalte)
            wohnungen = int(round(haushalte * (1.04 + 0.03 * max(-pov[k], 0) + 0.05 * max(age_t[k], 0))))
            mfh = draw(wohnungen, -0.2 + 1.1 * urban[g])
            add(region, "wohnungen", year, wohnungen)
            share("mehrfamilienhaus_anteil", "wohnungen_mfh", "wohnungen", mfh, wohnungen)
            add(region, "siedlungsdichte", year, round(ew / round(wohnbau, 3), 1), ew, round(wohnbau, 3))
            add(region, "bevoelkerungsdichte", year, round(ew / round(area[g], 2), 1), ew, round(area[g], 2))
            miete = 5.4 + 0.9 * urban[g] - 0.45 * pov[k] + 0.08 * t[k] + rng.normal(0, 0.08)
            add(region, "mietniveau", year, round(max(miete, 3.5), 2))
            wfl = 44 + 2.5 * age_t[k] - 2.2 * urban[g] - 1.5 * pov[k] + 0.15 * t[k] + rng.normal(0, 0.3)
            add(region, "wohnflaeche_je_ew", year, round(wfl, 1))

            # --- population structure and movement
            mean_age = float((np.array([3, 10, 16, 21, 40, 60, 72, 85]) * bands).sum() / max(ew, 1))
            add(region, "durchschnittsalter", year, round(mean_age, 1))
            if ew_u15 > 0:
                add(region, "alterungsindex", year, round(100 * ew_65 / ew_u15, 1), ew_65, ew_u15)
            add(region, "anteil_65plus", year, round(100 * ew_65 / ew, 2), ew_65, ew)
            add(region, "jugendquotient", year, round(100 * ew_u18 / ew_18_64, 1), ew_u18, ew_18_64)
            ausl = draw(ew, _logit(0.035) + 0.55 * migration[g] + 0.04 * t[k])
            share("auslaender_anteil", "auslaender", "einwohner", ausl, ew)
            geb = int(rng.poisson(ew * 0.0075 * np.exp(0.25 * family[g] - 0.15 * age_t[k])))
            gest = int(rng.poisson(ew * 0.0120 * np.exp(0.30 * age_t[k])))
            zuz = int(rng.poisson(ew * 0.045 * np.exp(0.3 * urban[g])))
            wander_rate = growth[g] - (geb - gest) / max(ew, 1) + rng.normal(0, 0.002)
            fort = max(int(round(zuz - wander_rate * ew)), 0)
            for key, v in (("geburten", geb), ("sterbefaelle", gest), ("zuzuege", zuz), ("fortzuege", fort)):
                add(region, key, year, v)
            nat, wan = geb - gest, zuz - fort
            add(region, "saldo_natuerlich", year, nat)
            add(region, "saldo_wanderung", year, wan)
            add(region, "saldo_gesamt", year, nat + wan)
            add(region, "natuerlicher_saldo", year, round(1000 * nat / ew, 2), nat, ew)
            add(region, "wanderungssaldo", year, round(1000 * wan / ew, 2), wan, ew)
            add(region, "gesamtsaldo", year, round(1000 * (nat + wan) / ew, 2), nat + wan, ew)

            # --- administrative intervention (all driven by poverty)
            p = pov_t[k]
            share("sgb2_quote", "sgb2_empfaenger", "ew_unter65", draw(ew_u65, _logit(0.075) + 0.55 * p), ew_u65)
            asyl = int(rng.poisson(ew * 0.004 * np.exp(0.5 * migration[g])))
            add(region, "asylblg_empfaenger", year, asyl)
            add(region, "asylblg_dichte", year, round(1000 * asyl / ew, 2), asyl, ew)
            pl = lead_t[k]
            for ind, basis, den, base, coef, driver in (
                ("beistandschaften_dichte", "beistandschaften", ew_u18, 0.030, 0.40, pl),
                ("familiengerichtshilfe_dichte", "familiengerichtshilfe_faelle", ew_u18, 0.006, 0.45, pl),
                ("hze_dichte", "hze_faelle", ew_u18, 0.022, 0.50, pl),
                ("jugendgerichtshilfe_dichte", "jugendgerichtshilfe_faelle", ew_15_24, 0.012, 0.45, pl),
                ("gesundheitshilfe_dichte", "gesundheitshilfe_faelle", ew, 0.0015, 0.50, p),
                ("hlu_dichte", "hlu_empfaenger", ew, 0.0022, 0.50, p),
                ("hilfe_zur_pflege_dichte", "hilfe_zur_pflege_empfaenger", ew_65, 0.010, 0.35, p),
            ):
                c = draw(den, _logit(base) + coef * driver)
                add(region, basis, year, c)
                if den > 0:
                    add(region, ind, year, round(1000 * c / den, 2), c, den)
            share("but_quote", "but_empfaenger", "ew_unter18", draw(ew_u18, _logit(0.12) + 0.55 * p), ew_u18)
            share("grundsicherung_alter_quote", "grundsicherung_empfaenger", "ew_65plus",
                  draw(ew_65, _logit(0.028) + 0.45 * p), ew_65)
            share("kdu_quote", "kdu_bedarfsgemeinschaften", "haushalte", draw(haushalte, _logit(0.085) + 0.55 * p),
                  haushalte)
            share("uvg_quote", "uvg_kinder", "ew_unter18", draw(ew_u18, _logit(0.07) + 0.45 * pl), ew_u18)
            share("wohngeld_quote", "wohngeld_haushalte", "haushalte",
                  draw(haushalte, _logit(0.025) + 0.35 * p + 0.15 * age_t[k]), haushalte)

            # --- health
            share("schwerbehinderte_anteil", "schwerbehinderte", "einwohner",
                  draw(ew, _logit(0.095) + 0.20 * age_t[k] + 0.12 * p), ew)
            share("pflegebeduerftige_anteil", "pflegebeduerftige", "einwohner",
                  draw(ew, _logit(0.055) + 0.30 * age_t[k] + 0.08 * p + 0.02 * t[k]), ew)
            psych = draw(ew, _logit(0.028) + 0.25 * p + 0.1 * urban[g])
            add(region, "psychisch_erkrankte", year, psych)
            add(region, "psychische_erkrankungen_dichte", year, round(1000 * psych / ew, 2), psych, ew)
            aerzte = int(rng.poisson(ew * 0.00065 * np.exp(0.25 * urban[g])))
            add(region, "hausaerzte", year, aerzte)
            add(region, "aerzte_dichte", year, round(10000 * aerzte / ew, 2), aerzte, ew)
            # school-entry examinations: the pandemic year 2020 was skipped in about half of the Gemeinden
            seu_skipped = year == 2020 and g % 2 == 0
            untersucht = int(round(b["ew_unter6"] / 6 * rng.uniform(0.9, 1.05)))
            if not seu_skipped and untersucht > 0:
                add(region, "seu_untersuchte", year, untersucht)
                share("uebergewicht_seu_anteil", "seu_uebergewicht", "seu_untersuchte",
                      draw(untersucht, _logit(0.10) + 0.35 * p), untersucht)
                share("motorik_seu_anteil", "seu_motorik", "seu_untersuchte", draw(untersucht, _logit(0.16) + 0.40 * p),
                      untersucht)
                share("vorsorge_u9_anteil", "seu_u9", "seu_untersuchte", draw(untersucht, _logit(0.90) - 0.45 * p),
                      untersucht)
                share("sprache_seu_anteil", "seu_sprache", "seu_untersuchte",
                      draw(untersucht, _logit(0.20) + 0.45 * p + 0.15 * migration[g]), untersucht)
                share("rueckstellung_anteil", "seu_rueckstellung", "seu_untersuchte",
                      draw(untersucht, _logit(0.07) + 0.35 * p), untersucht)

            # --- labour market (monthly counts with seasonality; annual = mean of months)
            p_alo = float(_sigmoid(_logit(0.055) + 0.55 * p))
            monthly = rng.poisson(ew_15_64 * p_alo * _SEASON)
            for m, v in enumerate(monthly, start=1):
                monthly_rows.append((region, "arbeitslose_monat", f"{year}-{m:02d}", float(v), None, None))
            alo = int(round(monthly.mean()))
            share("arbeitslosenquote", "arbeitslose", "ew_15_64", alo, ew_15_64)
            share("alq_unter25", "arbeitslose_unter25", "ew_15_24", draw(ew_15_24, _logit(0.045) + 0.55 * lead_t[k]), ew_15_24)
            share("alq_55plus", "arbeitslose_55plus", "ew_55_64", draw(b["ew_55_64"], _logit(0.065) + 0.45 * p),
                  b["ew_55_64"])
            share("langzeitarbeitslose_anteil", "langzeitarbeitslose", "arbeitslose",
                  draw(alo, _logit(0.33) + 0.30 * p), alo)

            # --- education
            abg = int(round(ew_15_24 * 0.095 * rng.uniform(0.9, 1.1)))
            if abg > 0:
                add(region, "schulabgaenger", year, abg)
                share("abiturquote", "abgaenger_abitur", "schulabgaenger", draw(abg, _logit(0.30) - 0.45 * p + 0.2 * urban[g]),
                      abg)
                share("ohne_abschluss_anteil", "abgaenger_ohne_abschluss", "schulabgaenger",
                      draw(abg, _logit(0.075) + 0.45 * p), abg)
            schueler = b["ew_6_14"] + int(round(b["ew_15_17"] * 0.6))
            add(region, "schueler", year, schueler)
            share("gymnasium_anteil", "schueler_gymnasium", "schueler",
                  draw(schueler, _logit(0.33) - 0.35 * p + 0.2 * urban[g]), schueler)
            share("kita_betreuungsquote", "kita_kinder", "ew_unter6",
                  draw(b["ew_unter6"], _logit(0.78) + 0.25 * family[g] + 0.03 * t[k] - 0.1 * p), b["ew_unter6"])

            # --- participation: elections only
            if year in _ELECTION_YEARS:
                wb = int(round(ew * 0.80 * (1 - 0.35 * ausl / ew)))
                add(region, "wahlberechtigte", year, wb)
                share("wahlbeteiligung", "waehler", "wahlberechtigte",
                      draw(wb, _logit(0.64) - 0.40 * p + (0.25 if year in (2017, 2021, 2025) else 0.0)), wb)

            # --- transport
            share("pkw_dichte", "pkw", "einwohner", draw(ew, _logit(0.55) - 0.25 * urban[g] - 0.1 * p), ew, scale=1000)
            share("oepnv_erreichbarkeit", "ew_oepnv", "einwohner", draw(ew, _logit(0.72) + 0.9 * urban[g]), ew)

    obs = pd.DataFrame(rows + monthly_rows,
                       columns=["region_id", "indicator_id", "period", "value", "numerator", "denominator"])
    obs["value"] = obs["value"].astype(float)
    obs["flag"] = "ok"
    unknown = set(obs["indicator_id"]) - set(catalog.indicators)
    if unknown:
        raise ValueError(f"generator wrote indicators missing from the catalog: {sorted(unknown)}")
    obs = obs.sort_values(["region_id", "indicator_id", "period"], kind="stable").reset_index(drop=True)

    small_counts = obs[(obs["region_id"].isin(ags)) & obs["indicator_id"].map(
        lambda i: catalog[i].kind == "count" and catalog[i].persons) & (obs["value"] < 3)]
    last = str(cfg.last_year)
    last_pop = obs[(obs["indicator_id"] == "einwohner") & (obs["period"] == last)].set_index("region_id")["value"]
    truth = {
        "seed": cfg.seed,
        "kreis": {"region_id": KREIS_ID, "name": KREIS_NAME},
        "years": [int(cfg.first_year), int(cfg.last_year)],
        "types": {t: {"name": nm, "description": d, "latent_means": dict(zip(
            ["armut", "alterung", "urbanitaet", "familie", "migration"], _LATENT[t]))} for t, (nm, d) in TYPES.items()},
        "gemeinden": [
            {
                "region_id": a, "name": names[i], "sozialregion": sozialregion[i], "type": str(types[i]),
                "deteriorates": bool(onset[i] > 0), "onset_year": int(onset[i]) if onset[i] else None,
                "population_last_year": int(last_pop[a]),
            }
            for i, a in enumerate(ags)
        ],
        "deteriorating": [{"region_id": ags[i], "onset_year": int(onset[i]), "poverty_slope_per_year": round(float(slope[i]), 3)}
                          for i in deteriorating],
        "small_gemeinden": sorted(ags[i] for i in tiny),
        "below_population_threshold": sorted(
            a for a in ags if obs[(obs["region_id"] == a) & (obs["indicator_id"] == "einwohner")]["value"].min() < 300),
        "gemeinden_with_counts_below_3": sorted(set(small_counts["region_id"])),
        "notes": [
            "Wahlbeteiligung exists only in election years " + ", ".join(str(y) for y in _ELECTION_YEARS),
            "Schuleingangsuntersuchung 2020 is missing for every second Gemeinde (pandemic)",
            "arbeitslose (annual) is the rounded mean of the twelve monthly counts arbeitslose_monat",
            f"every Gemeinde: a latent strain (AR(1), shock sd {STRAIN_SD}, persistence {STRAIN_PERSISTENCE}) moves "
            f"poverty; youth welfare cases (Beistandschaften, Familiengerichtshilfe, Hilfen zur Erziehung, "
            f"Jugendgerichtshilfe), Unterhaltsvorschuss and youth unemployment register it {LEAD_YEARS} years "
            f"before transfer receipt (SGB II …) and unemployment do",
            f"deteriorating Gemeinden (onsets staggered from first_year + {ONSET_WINDOW[0]} to last_year - "
            f"{ONSET_WINDOW[1]}): the same precursors start rising {LEAD_YEARS} years before the onset year and "
            f"{LEAD_GAIN} times as strongly as transfer receipt, which rises from the onset year",
        ],
    }
    if cfg.county_movement > 0:
        truth["notes"].append(
            f"a movement every Gemeinde shares, beside the fixed course of the labour market (better until 2019, "
            f"worse in 2020/21): AR(1), shock sd {cfg.county_movement}, persistence {cfg.county_persistence}, on "
            f"poverty and ({LEAD_YEARS} years early) on the precursors")
    return Sample(regions=regions, observations=obs, ground_truth=truth)


def write_sample(sample: Sample, out: Path, fmt: str = "csv") -> dict[str, Path]:
    """Write regions, observations and the ground truth to ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"regions": out / "regions.csv", "ground_truth": out / "ground_truth.json",
             "geometry": out / "geometry.geojson"}
    sample.regions.to_csv(paths["regions"], index=False, encoding="utf-8")
    if fmt == "parquet":
        paths["observations"] = out / "observations.parquet"
        sample.observations.to_parquet(paths["observations"], index=False)
    elif fmt == "csv":
        paths["observations"] = out / "observations.csv"
        sample.observations.to_csv(paths["observations"], index=False, encoding="utf-8", float_format="%.10g")
    else:
        raise ValueError(f"fmt must be 'csv' or 'parquet'; got {fmt!r}")
    paths["ground_truth"].write_text(json.dumps(sample.ground_truth, ensure_ascii=False, indent=2), encoding="utf-8")
    paths["geometry"].write_text(json.dumps(sample_geometry(sample.regions), ensure_ascii=False), encoding="utf-8")
    return paths


def sample_geometry(regions: pd.DataFrame, seed: int = 0) -> dict:
    """Generated polygons for the Gemeinden (cells of one Sozialregion side by side) as a FeatureCollection."""
    gem = regions[regions["level"] == "gemeinde"].sort_values(["parent_id", "region_id"])
    frame = synthetic_polygons(gem["region_id"].tolist(), seed=seed)
    names = gem.set_index("region_id")["name"]
    return {"type": "FeatureCollection", "name": "Musterkreis (generierte Gemeindeflächen)", "features": [
        {"type": "Feature", "properties": {"id": r.region_id, "name": names[r.region_id]},
         "geometry": json.loads(r.geometry)} for r in frame.itertuples()]}


AGE_BANDS = {"ew_unter6": "0-5", "ew_6_14": "6-14", "ew_15_17": "15-17", "ew_18_24": "18-24", "ew_25_54": "25-54",
             "ew_55_64": "55-64", "ew_65_79": "65-79", "ew_80plus": "80+"}
"""The Musterkreis's age bands and their headings in its register table by age (as planners write them)."""

_UNDER6_SPLIT = {"unter 1": 1 / 6, "1-2": 2 / 6, "3-5": 3 / 6}
"""The youngest band is written as infants, one- and two-year-olds and three- to five-year-olds (Krippe and
Kindergarten ages), drawn from the band's count."""


def age_table(obs: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    """The Musterkreis's residents by age group as a county's register export would hold them: one row per
    Gemeinde and year (``Gemeinde``, ``Jahr``), one column per group (``unter 1``, ``1-2``, ``3-5``, ``6-14`` … ``80+``).
    The groups are the generated band counts (the under-sixes split by a seeded multinomial draw), which sum to
    each Gemeinde's residents."""
    bands = obs[obs["indicator_id"].isin(list(AGE_BANDS))]
    wide = bands.pivot_table(index=["region_id", "period"], columns="indicator_id", values="value", aggfunc="first")
    wide = wide.reindex(columns=list(AGE_BANDS)).rename(columns=AGE_BANDS).reset_index()
    wide = wide.rename(columns={"region_id": "Gemeinde", "period": "Jahr"}).sort_values(["Gemeinde", "Jahr"])
    rng = np.random.default_rng(seed)
    young = wide["0-5"].round().astype(int).to_numpy()
    split = np.stack([rng.multinomial(n, list(_UNDER6_SPLIT.values())) for n in young])
    out = wide[["Gemeinde", "Jahr"]].copy()
    for j, name in enumerate(_UNDER6_SPLIT):
        out[name] = split[:, j]
    for c in list(AGE_BANDS.values())[1:]:
        out[c] = wide[c].round().astype("Int64")
    return out.reset_index(drop=True)


def facility_register(regions: pd.DataFrame, obs: pd.DataFrame, centres: dict[str, tuple[float, float]],
                      seed: int = 11) -> pd.DataFrame:
    """A facility register for the Musterkreis: Kitas in the Gemeinden (places near 70 % of the children aged 1–5,
    some Gemeinden short of places, one Kita opening and one closing in the coming years) and care homes per
    Sozialregion (about 13 places per 100 residents aged 80+), with coordinates near each Gemeinde's centre."""
    rng = np.random.default_rng(seed)
    bands = obs[obs["indicator_id"].isin(["ew_unter6", "ew_80plus"])]
    last = bands["period"].max()
    latest = bands[bands["period"] == last].pivot_table(index="region_id", columns="indicator_id", values="value")
    gemeinden = regions[regions["level"] == "gemeinde"].sort_values("region_id")
    rows = []
    for rid, parent in zip(gemeinden["region_id"], gemeinden["parent_id"]):
        lat, lon = centres[rid]
        kids = float(latest.loc[rid, "ew_unter6"]) * 5 / 6 if rid in latest.index else 0.0
        places = kids * 0.7 * rng.uniform(0.55, 1.25)
        n = max(1, int(round(places / 70)))
        for k in range(n):
            cap = int(max(10, round(places / n / 5) * 5))
            rows.append({"Einrichtung": f"KT-{rid[-3:]}-{k + 1}", "Name": f"Kita {rid[-3:]}-{k + 1}", "Art": "Kita",
                         "Plätze": cap, "lat": round(lat + rng.normal(0, 0.004), 5),
                         "lon": round(lon + rng.normal(0, 0.006), 5), "Gebiet": rid, "eröffnet": int(rng.integers(1975, 2020)),
                         "geschlossen": ""})
    rows[3]["eröffnet"], rows[3]["Plätze"] = int(last) + 2, 100   # a Kita being built
    rows[7]["geschlossen"] = int(last) + 4                    # one closing
    for parent, g in gemeinden.groupby("parent_id"):
        old = sum(float(latest.loc[r, "ew_80plus"]) for r in g["region_id"] if r in latest.index)
        first = sorted(g["region_id"])[0]
        lat, lon = centres[first]
        rows.append({"Einrichtung": f"PH-{parent}", "Name": f"Pflegeheim {parent}", "Art": "Pflegeheim",
                     "Plätze": int(round(old * 0.13 * rng.uniform(0.7, 1.2) / 5) * 5), "lat": round(lat, 5),
                     "lon": round(lon, 5), "Gebiet": first, "eröffnet": int(rng.integers(1990, 2015)), "geschlossen": ""})
    return pd.DataFrame(rows)


def measure_register(regions: pd.DataFrame, obs: pd.DataFrame, seed: int = 13) -> pd.DataFrame:
    """A register of recommendations and measures for the Musterkreis: some carried out since 2019–2021 in one or
    two Gemeinden of at least 3,000 residents each, aimed at youth-welfare cases or transfer receipt; others
    decided, proposed or rejected. The sample's values hold no effect of any of them."""
    rng = np.random.default_rng(seed)
    people = obs[(obs["indicator_id"] == "einwohner") & (obs["period"] == "2018")].set_index("region_id")["value"]
    gemeinden = sorted(r for r in regions.loc[regions["level"] == "gemeinde", "region_id"] if people.get(r, 0) >= 3000)
    plan = [("Familienzentrum mit aufsuchender Elternarbeit", "Kindheit und Jugend", "hze_dichte", "umgesetzt", 2019, 145_000),
            ("Schulsozialarbeit an Grundschulen", "Bildung", "but_quote", "umgesetzt", 2020, 96_000),
            ("Beschäftigungsprojekt für Langzeitarbeitslose", "Teilhabe", "sgb2_quote", "umgesetzt", 2019, 210_000),
            ("Quartiersmanagement", "Teilhabe", "sgb2_quote|hze_dichte", "umgesetzt", 2021, 130_000),
            ("Seniorentreff mit Beratung", "Senioren", "grundsicherung_alter_quote", "beschlossen", 2026, 60_000),
            ("Jugendclub am Bahnhof", "Kindheit und Jugend", "jugendgerichtshilfe_dichte", "vorgeschlagen", 2027, 85_000),
            ("Mobile Sozialberatung", "Teilhabe", "sgb2_quote", "abgelehnt", 2024, 70_000)]
    rows = []
    for k, (title, field, indicators, status, start, cost) in enumerate(plan, start=1):
        where = rng.choice(gemeinden, size=1 + (k % 2), replace=False)
        rows.append({"Maßnahme": f"M{k:02d}", "Titel": title, "Handlungsfeld": field, "Gebiete": ",".join(where),
                     "Beginn": start, "Ende": "", "Kosten pro Jahr": cost, "Status": status,
                     "Zielindikatoren": indicators, "Richtung": "senken"})
    return pd.DataFrame(rows)
