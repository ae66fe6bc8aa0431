"""A region page's key figures (residents, status and dynamics index), its type and class, and, where one is missing,
the region's own reason: none of the status index's indicators in the period, a small area whose values are withheld, a
withheld or missing value — never a guess. Also the note on a forecast interval that the API and the page share
(:func:`interval_note`): not reliable, or not checked; and the data note on values estimated in the years a
trend line shows (:func:`estimated_before`), and on values whose indicators the catalog read lacks
(:func:`uncatalogued`); the indicators a page shows per dimension, a count no share can be computed from among them
(:func:`shown_by_dimension`); the page text of a cell's flag, a withheld one with its reason (:func:`flag_text`,
:func:`flagged`); the levels' German nouns; what is said where the last training of the classifier or the
typology refused (:func:`refused_training`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from features.age_counts import count_ages
from ml.columns import MODEL, column, columns
from ml.config import Settings
from ml.contracts import stored_inputs
from ml.formatting import de, percent, years_text
from models.forecasting import UNCHECKED_NOTE, UNRELIABLE_NOTE
from serving.own_values import parts_plural
from serving.state import Snapshot, stored_row, withheld

if TYPE_CHECKING:
    from serving.report import ReportBuilder

LEVEL_PLURAL = {"land": "Länder", "kreis": "Kreise", "sozialregion": "Sozialregionen", "gemeinde": "Gemeinden",
                "bezirk": "Bezirke", "prognoseraum": "Prognoseräume", "bezirksregion": "Bezirksregionen",
                "stadtteil": "Stadtteile", "ortsteil": "Ortsteile", "planungsraum": "Planungsräume"}
LEVEL_SINGULAR = {level: level.capitalize() for level in LEVEL_PLURAL}   # the German nouns are the ids capitalised
LEVEL_DATIVE = {"land": "Ländern", "kreis": "Kreisen", "sozialregion": "Sozialregionen", "gemeinde": "Gemeinden",
                "bezirk": "Bezirken", "prognoseraum": "Prognoseräumen", "bezirksregion": "Bezirksregionen",
                "stadtteil": "Stadtteilen", "ortsteil": "Ortsteilen", "planungsraum": "Planungsräumen"}
"""The levels' German nouns, for the pages."""
LEVEL_FEMININE = {"sozialregion", "gemeinde", "bezirksregion"}
"""The levels whose German noun is feminine ('eine Gemeinde', 'ein Kreis')."""


def other_level(profiled: str | None, own: str | None) -> str | None:
    """Why a region of level ``own`` has no values on its page when the stored profiles are of level ``profiled``
    (German), naming the setting that profiles its level; None for a region of the profiles' level."""
    if own is None or profiled is None or own == profiled:
        return None
    return (f"Die Profile sind für {LEVEL_PLURAL.get(profiled, profiled)} berechnet, dieses Gebiet ist {_a(own)}: den "
            f"Vergleich mit den anderen {LEVEL_DATIVE.get(own, own)} zeigt eine Auswertung dieser Ebene "
            f"(features.level: {own}).")


def _a(level: str) -> str:
    """'eine Sozialregion', 'ein Kreis'."""
    return f"{'eine' if level in LEVEL_FEMININE else 'ein'} {LEVEL_SINGULAR.get(level, level)}"


def other_level_type(profiled: str, own: str, what: str = "type") -> str:
    """Why a region of another level than the profiles' has no Sozialraumtyp (``what``: 'type') or no early warning
    ('warning'), in German."""
    subject, done, none = (("Die Sozialraumtypen sind", "gebildet", "keinen") if what == "type" else
                           ("Die Frühwarnung ist", "berechnet", "keine"))
    return f"{subject} für {LEVEL_PLURAL.get(profiled, profiled)} {done}; dieses Gebiet ist {_a(own)} und hat {none}."


def _small(row: pd.Series, settings: Settings) -> bool:
    pop = row.get("population")
    return pop is not None and pd.notna(pop) and float(pop) < settings.privacy.min_population


def shown_by_dimension(catalog, held: set[str]) -> dict[str, list[tuple]]:
    """Dimension id → the indicators a page shows, in catalog order, each with its aside: the reported ones (no
    aside), a count imported as the basis of shares (Arbeitslose) of which no share can be computed from the
    values held (``held``: the indicators with any value; the Einwohner 15 bis 64 lacking), shown as the count, its
    aside naming the share and the part it lacks, and a count held that no share is built from (the Räumungsklagen,
    the Hilfen zur Erziehung by kind; not the residents of an age group, nor a monthly count), shown as it is. A
    table of counts alone is thus on the page as it was written."""
    out = {d: [(ind, "") for ind in metas] for d, metas in catalog.by_dimension().items()}
    for ind in catalog:
        if not ind.basis or ind.indicator_id not in held or ind.dimension not in out:
            continue
        uses = catalog.shares_of(ind.indicator_id)
        if not uses:
            # a count of its own; residents by age are parts of the age counts, a monthly count is on no year's page
            if ind.frequency == "annual" and count_ages(ind.indicator_id) is None:
                out[ind.dimension].append((ind, ""))
            continue
        if any(s.indicator_id in held for s, _ in uses):
            continue
        share, other = uses[0]
        lacking = catalog[other].name if other in catalog else other
        out[ind.dimension].append((ind, f"als Anzahl gezeigt: für „{share.name}“ fehlt „{lacking}“"))
    order = {ind.indicator_id: i for i, ind in enumerate(catalog)}
    return {d: sorted(pairs, key=lambda pair: order[pair[0].indicator_id]) for d, pairs in out.items()}


def key_figures(b: "ReportBuilder", region_id: str, period: str, row: pd.Series | None) -> list[tuple[str, str]]:
    """(label, text) of the key figures: residents (where the store counts them at all), status and dynamics
    index."""
    ind = b.settings.features.population_indicator or "einwohner"
    # a county's own population count (the residents aged 5 and over of a register's table) is named as it is;
    # a monitoring of indices alone (an atlas) has no residents to show, not a dash on every page
    held = ind in b.held or b.cell(region_id, ind, period)[1] != "missing"      # the whole city's own residents too
    summed = b.summed(region_id, ind, period) and b.cell(region_id, ind, period)[0] is not None
    out = [("Einwohner" if ind == "einwohner" or ind not in b.catalog else b.catalog[ind].name,
            b.value(region_id, ind, period, 0) + (f" (Summe der {parts_plural(b, region_id)})" if summed else ""))
           ] if held else []
    if row is None:
        elsewhere = b.elsewhere(region_id)
        return out + ([("Statusindex", "nicht berechnet: " + elsewhere[0].lower() + elsewhere[1:])] if elsewhere
                      else [])
    if isinstance(row.get("status_label"), str):
        rank = ""
        if b.settings.features.index.ranking and pd.notna(row.get("status_rank")):
            rank = f" (Rang {int(row['status_rank'])})"
        thin = thin_index_note(row, b.settings.features.index.status_indicators, b.catalog, period)
        out.append(("Statusindex", f"{de(row['status_index'], 2)} – Klasse „{row['status_label']}“{rank}"
                    + (f" ({thin})" if thin else "")))
    else:
        out.append(("Statusindex", "nicht berechnet: " + no_status_reason(b.cell, b.catalog, b.settings, region_id,
                                                                           period, row, b.snap.left_out)))
    if isinstance(row.get("dynamics_label"), str):
        out.append(("Dynamikindex", f"{de(row['dynamics_index'], 2, sign=True)} – „{row['dynamics_label']}“"))
    return out


def index_indicators(row: pd.Series) -> list[str]:
    """The indicators a profile row's status index is built from (its ``status_indicators``)."""
    return [i for i in str(row.get("status_indicators") or "").split(",") if i and i != "nan"]


def thin_index_note(row: pd.Series, configured, catalog, period: str) -> str | None:
    """Where a period's status index rests on fewer indicators than configured (the others had no values then:
    INKAR's 2022 without the unemployment rate), which ones it rests on and which it lacks; None where it has
    them all. An index of one indicator is not the index the configuration names, and its class is not the
    class of the years before."""
    used = index_indicators(row)
    lacking = [i for i in configured if i not in used]
    if not used or not lacking:
        return None

    def name(i: str) -> str:
        return catalog[i].name if i in catalog else i

    return (f"gebildet aus {len(used)} von {len(configured)} vorgesehenen Indikatoren: {', '.join(map(name, used))}; "
            f"ohne Werte für {period}: {', '.join(map(name, lacking))}")


def no_status_reason(cell, catalog, settings: Settings, region_id: str, period: str, row: pd.Series,
                     left_out: dict | None = None) -> str:
    """Why a region has no status index in a period, from its own cells (``cell(region, indicator, period)`` →
    (value, flag), as :meth:`serving.report.ReportBuilder.cell`): none of the index's indicators has values in that
    period, or the region's values are withheld (a small area), left out by ``features`` (``left_out``: (region,
    indicator, period) → why, the store's ``left_out_values``) or missing."""
    def name(i: str) -> str:
        return catalog[i].name if i in catalog else i

    used = index_indicators(row)
    if not used:
        wanted = list(settings.features.index.status_indicators)
        # the edition's values left out by features (a file of another year): said, not called missing
        dropped = [i for i in wanted if (region_id, i, str(period)) in (left_out or {})]
        if dropped:
            return (f"die Werte der Indikatoren des Statusindex für {period} sind ausgelassen (siehe Merkmale): "
                    + ", ".join(name(i) for i in dropped))
        return (f"keiner der Indikatoren des Statusindex liegt für {period} vor ("
                + ", ".join(name(i) for i in wanted) + ")")
    cells = {i: cell(region_id, i, period) for i in used}
    withheld = [i for i, (_, flag) in cells.items() if flag == "suppressed"]
    missing = [i for i, (v, flag) in cells.items() if flag != "suppressed" and v is None]
    if withheld and _small(row, settings):
        return f"weniger als {de(settings.privacy.min_population, 0)} Einwohner, die Werte des Gebiets sind gesperrt"
    dropped = [i for i in missing if (region_id, i, str(period)) in (left_out or {})]
    missing = [i for i in missing if i not in dropped]
    parts = []
    if withheld:
        parts.append("gesperrt: " + ", ".join(name(i) for i in withheld))
    if dropped:
        parts.append("ausgelassen (unstimmiger Wert, siehe Merkmale): " + ", ".join(name(i) for i in dropped))
    if missing:
        parts.append("es fehlt " + ", ".join(name(i) for i in missing))
    return "; ".join(parts) if parts else "nicht alle Indikatoren des Statusindex liegen vor"


def no_profile_reason(settings: Settings, row: pd.Series | None, elsewhere: str | None = None) -> str:
    """Why a region's page has no dimension profile, from its profile row (``elsewhere``: :func:`other_level`'s
    sentence for a region of another level)."""
    if row is None:
        return elsewhere or "Für dieses Gebiet liegen in dieser Periode keine Werte vor."
    if _small(row, settings):
        return (f"Das Gebiet hat weniger als {de(settings.privacy.min_population, 0)} Einwohner: seine Werte sind "
                "zum Schutz der Einzelnen gesperrt.")
    if row.get("n_suppressed", 0) and row.get("n_suppressed", 0) >= row.get("n_values", 0):
        return "Die Werte dieses Gebiets sind in dieser Periode gesperrt."
    return "Für dieses Gebiet liegen in dieser Periode keine Werte vor, aus denen ein Profil entsteht."


TRAINED_UNTIL = {"typology": "Die Sozialraumtypen wurden mit den Perioden bis {last} gebildet",
                 "classifier": "Der Klassifikator wurde mit den Perioden bis {last} trainiert"}


def later_edition(job: str, period: str | None, last: str | None) -> str | None:
    """The German sentence for a period after the last one the typology or the classifier (``job``) was trained on
    (an edition imported since): which periods it saw, and what assigns the new one; None for any other period."""
    if not period or not last or period <= last:
        return None
    return (f"{TRAINED_UNTIL[job].format(last=last)}; {period} ordnet erst das nächste Training zu (sozialradar "
            f"train {job}).")


def no_type_reason(settings: Settings, row: pd.Series | None, period: str = "", last: str = "") -> str:
    """Why a region-year has no type though the typology ran: the period came after the typology's last
    (``last``: an edition imported since), its values are withheld as a small area's, too many of them are
    withheld or missing, or some of the typology's inputs are missing."""
    later = later_edition("typology", period, last)
    if later:
        return later
    if row is not None and _small(row, settings):
        return no_profile_reason(settings, row)[:-1] + "; es wird keinem Typ zugeordnet."
    if withheld(row):
        return "Das Gebiet wird keinem Typ zugeordnet: zu viele seiner Werte sind gesperrt oder fehlen."
    return "Für dieses Gebiet fehlen in dieser Periode Eingangswerte; es wird keinem Typ zugeordnet."


REFUSED_JOBS = {"classifier": ("des Klassifikators", "Klassen", "classes"),
                "typology": ("der Typisierung", "Sozialraumtypen", "types")}


def refused_training(snap: Snapshot, job: str) -> dict[str, str] | None:
    """What the service says when the last training of ``job`` (classifier, typology) refused (the store's
    ``training_refused``): ``reason`` in English for the API, ``text`` in German for the page and the dashboard.
    The results of a training before stay served (the refusal concerns the new run's data or settings, not the
    champion), and both say that they are shown; None when the last training did not refuse."""
    table = snap.training_refused
    rows = table[table["job"] == job] if table is not None and len(table) else None
    if rows is None or rows.empty or job not in REFUSED_JOBS:
        return None
    genitive, plural, results = REFUSED_JOBS[job]
    when = pd.Timestamp(rows["refused_at"].iloc[0])
    served = getattr(snap, results)
    version = str(served["model_version"].iloc[0]) if served is not None and len(served) else None
    cause = str(rows["reason"].iloc[0])
    if version is None:
        return {"reason": f"no {results}: the last training of the {job} ({when:%Y-%m-%d}) refused: {cause}",
                "text": f"Das letzte Training {genitive} am {when:%d.%m.%Y} wurde abgelehnt; deshalb liegen keine "
                        f"{plural} vor. Den Grund nennt „sozialradar store info“."}
    return {"reason": f"the last training of the {job} ({when:%Y-%m-%d}) refused: {cause}; the {results} served are "
                      f"those of the training before (model version {version})",
            "text": f"Das letzte Training {genitive} am {when:%d.%m.%Y} wurde abgelehnt; gezeigt werden die {plural} "
                    f"des Trainings davor (Modellversion {version}). Den Grund nennt „sozialradar store info“."}


def type_section(b: "ReportBuilder", region_id: str, period: str, row: pd.Series | None) -> dict:
    """{'type', 'description'} of the region as the typology job stored it, or {'message'} saying why it has
    none."""
    refused = refused_training(b.snap, "typology")     # the types of the training before stay served
    if b.snap.types is None:
        return {"message": refused["text"] if refused else "Es liegt keine Typisierung vor."}
    note = refused and refused["text"]
    shown, standing = standing_types(b.snap, period)
    found = None if withheld(row) else stored_row(b.snap.types, region_id, shown)
    last = str(b.snap.types["period"].max())
    if found is not None and standing:
        note = " ".join(filter(None, [standing, note]))
    if found is None and standing:
        return {"message": f"{standing} Das Gebiet hat {shown} keinen Sozialraumtyp.", "note": note}
    if found is None and b.elsewhere(region_id):      # a Sozialregion beside the Gemeinden's types
        return {"message": other_level_type(b.profiled_level, b.level_of.get(region_id)), "note": note}
    if found is None:      # an edition after the typology's last period says so
        return {"message": no_type_reason(b.settings, row, period, last), "note": note}
    return {"type": int(found["type"]), "description": str(found["description"]), "note": note,
            "compared": b.compare.label(region_id).replace("Mittel", "Durchschnitt", 1),
            # groups or a continuum cut into sections (a store written before the check has none)
            "structure": found["structure"] if isinstance(found.get("structure"), str) else None,
            "distinct": bool(found["distinct"]) if isinstance(found.get("distinct"), (bool, np.bool_)) else None}


def standing_types(snap: Snapshot, period: str | None) -> tuple[str | None, str | None]:
    """The period whose stored types stand for ``period``, and the German sentence that says so: ``period`` itself;
    or, where it comes after the typology's last period and no region has a value of the typology's inputs there (a
    year of the residents alone after a census year: no training could type it), that last period."""
    types = snap.types
    if types is None or not len(types) or not period:
        return period, None
    last = str(types["period"].max())
    if period <= last:
        return period, None
    named = stored_inputs(types["settings"].iloc[0], "typology") if "settings" in types else []
    inputs = [i for i in named if column(MODEL, i) in snap.model_matrix.columns and i in snap.catalog]
    m = snap.model_matrix
    if not inputs or m.loc[m["period"] == period, columns(MODEL, inputs)].notna().to_numpy().any():
        return period, None
    return last, (f"Sozialraumtypen {last}: für {period} liegen die Merkmale der Typisierung nicht vor "
                  f"({', '.join(snap.catalog[i].name for i in inputs)}).")


CLASS_TEXTS = ("next_class", "why", "comparison", "served_by", "target", "relevance")
"""The German texts stored with a region's class (``relevance``: what counts most for the prototype model's
classification, the same sentence for every region; absent in stores written before it was kept)."""


def class_section(b: "ReportBuilder", region_id: str, period: str, row: pd.Series | None) -> dict | None:
    """The classifier's stored class with its probability, the next class and why (German), or None when
    the store holds no classes for the region and period ({'message'} when its only training refused, or the period
    is an edition imported since the training)."""
    refused = refused_training(b.snap, "classifier")   # the classes of the training before stay served
    if b.snap.classes is None:
        return {"message": refused["text"]} if refused else None
    if withheld(row):
        return None
    found = stored_row(b.snap.classes, region_id, period)
    later = later_edition("classifier", period, str(b.snap.classes["period"].max()))
    if found is None and later:     # an edition imported since the training, as for the types
        return {"message": later, "note": refused and refused["text"]}
    if found is None:
        return None
    probs = json.loads(found["probabilities"])
    pred = str(found["prediction"])
    out = {"prediction": pred, "probability": percent(probs.get(pred)) if pred in probs else None}
    out.update({k: found[k] if isinstance(found.get(k), str) else None for k in CLASS_TEXTS})
    # the page says so when the prototype model lost to the usual classifiers (and which one answers instead)
    out["prototypes"], out["weaker"] = bool(found.get("lvq_served", True)), "weniger treffsicher" in (
        out["comparison"] or "")
    out["note"] = refused and refused["text"]
    return out


def forecast_stand_note(first_year: int, last_shown: int) -> str | None:
    """The German note on a forecast computed before the last published value (an edition imported since the
    forecast job ran): from which stand it is, and what brings the new values in; None for a current one."""
    if first_year > last_shown:
        return None
    return (f"Prognose vom Stand {first_year - 1}: die seither veröffentlichten Werte bis {last_shown} gehen erst in "
            "die nächste Prognose ein (sozialradar forecast)")


def interval_note(reliable: bool | None, has_interval: bool) -> str | None:
    """The German note on an indicator's forecast interval, from what the forecast job stored: not reliable (its
    check on held-out years failed), not checkable (no such check could run), or none."""
    if reliable is False:
        return UNRELIABLE_NOTE
    if reliable is None and has_interval:
        return UNCHECKED_NOTE
    return None


FLAG_TEXT = {"suppressed": "gesperrt", "imputed": "ergänzt (geschätzt aus Vergleichsgebieten)",
             "estimated": "geschätzt"}
WITHHELD_TEXT = {"source": "gesperrt (von der Quelle nicht veröffentlicht)", "count": "gesperrt (kleine Zahl)",
                 "numerator": "gesperrt (beruht auf einer kleinen Zahl)",
                 "population": "gesperrt (zu wenige Einwohner im Gebiet)",
                 "complement": "gesperrt (sonst ließe sich mit den Teilgebieten ein gesperrter Wert errechnen)",
                 "parts": "gesperrt (sonst ließe sich mit der Gesamtzahl und ihren übrigen Teilen ein gesperrter Wert "
                          "errechnen)",
                 "secondary": "gesperrt (damit die Summe des übergeordneten Gebiets gezeigt werden kann, ohne einen "
                              "gesperrten Wert eines anderen Teilgebiets zu verraten)",
                 "balance": "gesperrt (sonst ließe sich über den Saldo ein gesperrter Wert errechnen)"}
"""Why a value is withheld, by ``feature_values.suppressed_by``: the source did not publish it, or the privacy rules
withheld it (a small count of persons, a share whose numerator is one, an area of too few residents, or a region's
count that, less the counts its parts show, would tell a part's withheld one), or a count withheld besides another
region's, so that the sum of the region both lie in can show (Sekundärsperrung, ``privacy.secondary``), or a
balance or one of its terms that, beside the others, would tell a withheld one (births, deaths and the natural
balance)."""


def flag_text(flag: str, reason: str | None = None) -> str:
    """A cell's flag as page text; a withheld one with its reason when the store names it."""
    if flag == "suppressed" and reason in WITHHELD_TEXT:
        return WITHHELD_TEXT[reason]
    return FLAG_TEXT.get(flag, flag)


def flagged(rows: pd.DataFrame, catalog) -> list[dict]:
    """The non-ok flags of a region's period (``rows``: its feature values), each as page text with the names of
    the indicators it concerns (never values); a withheld value with its reason."""
    rows = rows[rows["flag"] != "ok"]
    rows = rows.assign(_text=[flag_text(f, w) for f, w in zip(rows["flag"].astype(str), rows["suppressed_by"])])
    return [{"text": text, "names": sorted({catalog[i].name for i in g["indicator_id"] if i in catalog})}
            for text, g in rows.groupby("_text", sort=True)]


def estimated_before(values: pd.DataFrame, catalog, region_id: str, period: str) -> list[dict]:
    """The trend lines show earlier years too: values estimated there (an earlier grid carried over by area
    weights, a source's own estimate) as one data note with their years and indicators; none where there are none."""
    before = values[(values["region_id"] == region_id) & (values["period"].astype(str) < period)
                    & (values["flag"] == "estimated")]
    if before.empty:
        return []
    years = sorted(set(before["period"].astype(str)))
    span = years_text(years)
    names = sorted({catalog[i].name for i in before["indicator_id"] if i in catalog})
    return [{"text": f"im Verlauf geschätzt ({span}; z. B. aus einem früheren Gebietszuschnitt nach Flächen- oder "
                     "Einwohneranteilen umgerechnet)", "names": names}]


def uncatalogued(values: pd.DataFrame, catalog) -> list[dict]:
    """The data note on values (a region's in a period) whose indicators the catalog read lacks (a county's own,
    its pages built without its configuration): the page cannot name or show them, and says so; none otherwise."""
    ids = sorted(i for i in set(values.loc[values["value"].notna(), "indicator_id"]) if i not in catalog)
    return [{"text": "nicht gezeigt, weil der gelesene Katalog sie nicht kennt (Dienst und Berichte brauchen die "
                     "Konfiguration des Kreises: sozialradar --config DATEI)", "names": ids}] if ids else []


def earlier_only(values: pd.DataFrame, catalog, region_id: str, period: str,
                 left_out: dict | None = None) -> list[dict]:
    """The data notes on the region's indicators without a value in ``period`` that have values in other periods:
    those of earlier periods only (a census year's shares on the page of a later year of the residents alone),
    each with its latest year, whose page shows them; and those with values before and after (a year left out of
    an edition), or left out by ``features`` there (``left_out``: (region, indicator, period) → why), one note per
    reason. A value withheld in ``period`` (a small area's) is a value there: the page's note on withheld values
    names it, and this note must not tell which indicators are withheld."""
    own = values[values["region_id"] == region_id]
    own = own[own["indicator_id"].map(lambda i: i in catalog).astype(bool)]
    own = own.assign(period=own["period"].astype(str))
    held = own["value"].notna() | own["flag"].eq("suppressed")
    now = set(own.loc[held & (own["period"] == period), "indicator_id"])
    other = own[held & ~own["indicator_id"].isin(now)]
    if other.empty:
        return []
    last = other.groupby("indicator_id")["period"].max()
    gone = last[last < period]
    out = []
    if len(gone):
        out.append({"text": f"nur in früheren Jahren, daher nicht in der Übersicht {period} (zuletzt im Jahr in "
                            "Klammern; dessen Bericht: sozialradar report --period JAHR)",
                    "names": [f"{catalog[i].name} ({p})" for i, p in
                              sorted(gone.items(), key=lambda x: (x[1], x[0]), reverse=True)]})
    first = other.groupby("indicator_id")["period"].min()
    gap = sorted(i for i in last.index if first[i] < period < last[i])
    why = {i: (left_out or {}).get((region_id, i, period)) for i in gap}
    for reason in sorted({w for w in why.values() if w}):
        out.append({"text": f"ausgelassen: {reason}", "names": [catalog[i].name for i in gap if why[i] == reason]})
    gap = [i for i in gap if not why[i]]
    if gap:
        out.append({"text": f"ohne Wert für {period}, in den Jahren davor und danach mit Werten",
                    "names": [catalog[i].name for i in gap]})
    return out
