"""What the store holds and how far its results reach, for ``sozialradar store info`` and the jobs' notes: each
trained result's periods, a refused training, the forecasts' years, and the periods that came after a training —
to be scored by training again, or, where they hold none of the training's inputs, shown with the last trained
year's results."""

from __future__ import annotations

import pandas as pd

from ml.columns import MODEL, column
from ml.contracts import stored_inputs

REFUSALS = "training_refused"
"""The store table of refused classifier and typology trainings (job, reason, refused_at)."""

AWAITING = {"early_warnings": "early warnings", "classes": "the classifier's classes",
            "types": "the Sozialraumtypen"}
"""The stored results of a training job that score every period the training saw: store table → their name."""
TRAIN_COMMANDS = {"early_warnings": "early-warning", "classes": "classifier", "types": "typology"}


def awaiting_training(store, profiles: pd.DataFrame) -> dict[str, str]:
    """Notes on stored training results (every period the training saw) that end before the profiles' last
    period, and on forecasts that start at or before it — editions imported since those jobs ran: the service says
    so, and the analyst hears it here first. Store table (``early_warnings``, ``classes``, ``types``,
    ``forecasts``) → its note."""
    tables = store.tables()
    periods = sorted(set(profiles["period"].astype(str)))
    notes = {}
    for table, what in AWAITING.items():
        if table not in tables or (table == "early_warnings" and "early_warning_refused" in tables):
            continue
        _, last = period_range(store, table)
        newer = [p for p in periods if last is not None and p > last]
        inputs, held = _inputs_held(store, table, newer, profiles)
        if newer and not held:      # years without the training's inputs (the residents alone after a census year)
            notes[table] = (f"{what} reach {last}, the profiles {periods[-1]}; {', '.join(newer)} "
                            f"{'has' if len(newer) == 1 else 'have'} no values of their inputs "
                            f"({', '.join(inputs)}): " + ("no warning is scored for them" if table == "early_warnings"
                                                          else f"the pages show those of {last}"))
        elif newer:
            notes[table] = (f"{what} reach {last}, the profiles {periods[-1]}: 'sozialradar train "
                            f"{TRAIN_COMMANDS[table]}' scores {', '.join(held)}")
    if "forecasts" in tables and periods:      # annual forecasts that start at or before a published year
        first, _ = period_range(store, "forecasts", annual=True)
        if first is not None and first <= periods[-1]:
            notes["forecasts"] = (f"the forecasts start at {first}, the profiles reach {periods[-1]}: "
                                  "'sozialradar forecast' forecasts from the new edition")
    return notes


def _inputs_held(store, table: str, periods: list[str], profiles: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The inputs a stored training result names (its ``settings``), and those of ``periods`` in which the model
    matrix has a value of one of them; every period where the inputs are not known (a store written before). The
    early warning's input is the status index: the periods of ``profiles`` in which a region has one (a Land's
    register of residents reaching past the last edition of the index brings profiles, no warning)."""
    if not periods:
        return [], periods
    if table == "early_warnings":
        if "status_index" not in profiles.columns:
            return [], periods
        indexed = set(profiles.loc[profiles["status_index"].notna(), "period"].astype(str))
        return ["the status index"], [p for p in periods if p in indexed]
    columns_of = set(store.con.execute(f'SELECT column_name FROM (DESCRIBE "{table}")').df()["column_name"])
    first = store.con.execute(f'SELECT settings FROM "{table}" LIMIT 1').fetchall() if "settings" in columns_of else []
    inputs = stored_inputs(first[0][0], "typology" if table == "types" else "classifier") if first else []
    held_columns = set(store.con.execute("SELECT column_name FROM (DESCRIBE model_matrix)").df()["column_name"])
    cols = [column(MODEL, i) for i in inputs if column(MODEL, i) in held_columns]
    if not cols:
        return inputs, periods
    any_value = " OR ".join(f'"{c}" IS NOT NULL' for c in cols)
    held = {str(p) for (p,) in store.con.execute(
        f"SELECT DISTINCT CAST(period AS VARCHAR) FROM model_matrix WHERE {any_value}").fetchall()}
    return inputs, [p for p in periods if p in held]


def period_range(store, table: str, annual: bool = False) -> tuple[str | None, str | None]:
    """The first and last period of a stored table (only the years with ``annual``), read in the store without
    loading the table; (None, None) when it has none."""
    period = "CAST(period AS VARCHAR)"
    where = f" WHERE length({period}) = 4" if annual else ""
    first, last = store.con.execute(f'SELECT min({period}), max({period}) FROM "{table}"{where}').fetchall()[0]
    return first, last


def results_summary(store, observed_until: str | None) -> list[str]:
    """What the jobs stored and how far it reaches, for ``store info``: the profiles' periods (and whether newer
    observations await 'features'), each trained result's periods, a refused early warning, the forecasts' years,
    the registers (:func:`registers_summary`) and the notes of :func:`awaiting_training`."""
    tables = store.tables()
    none_yet = ["profiles: none yet ('sozialradar features' builds them)"]
    if "profiles" not in tables:
        return none_yet + registers_summary(store, tables)
    profiles = store.table("profiles")
    periods = sorted(set(profiles["period"].astype(str)))
    if not periods:
        return none_yet + registers_summary(store, tables)
    lines = [f"profiles: {periods[0]}..{periods[-1]}, {profiles['region_id'].nunique():,} regions"]
    lines += [f"  {note}" for note in set_aside(store, tables)]
    if observed_until and observed_until > periods[-1]:
        lines.append(f"  the observations reach {observed_until}: 'sozialradar features' builds the profiles of the "
                     "newer periods")
    refusals = (store.table(REFUSALS).set_index("job") if REFUSALS in tables
                else pd.DataFrame(columns=["reason", "refused_at"]))
    for table, what in AWAITING.items():
        job = TRAIN_COMMANDS[table]
        if table in tables:
            first, last = period_range(store, table)
            refused = table == "early_warnings" and "early_warning_refused" in tables
            lines.append(f"{what}: " + (f"{first}..{last}" if first is not None else "none")
                         + (" (withdrawn: the last training refused)" if refused else ""))
        elif job in refusals.index:
            lines.append(f"{what}: none")
        if job in refusals.index:     # a champion's results before the refusal stay served
            r = refusals.loc[job]
            lines.append(f"  the last training refused ({pd.Timestamp(r['refused_at']):%Y-%m-%d}): {r['reason']}"
                         + ("; the results above are the champion's before it" if table in tables else ""))
    if "early_warnings" not in tables and "early_warning_refused" in tables:
        lines.append("early warnings: none (the last training refused: no horizon could be tested)")
    if "forecasts" in tables:
        first, last = period_range(store, "forecasts")
        lines.append("forecasts: " + (f"{first}..{last}" if first is not None else "none"))
    lines += registers_summary(store, tables)
    return lines + [f"  {note}" for note in awaiting_training(store, profiles).values()]


def set_aside(store, tables: set[str], shown: int = 4) -> list[str]:
    """What the last 'features' run set aside, for ``store info``: the values that repeat the year before (table
    ``copied_years``: an edition copied everywhere, or a block in one group's regions; no change is measured from or
    to them) and the values left out (``left_out_values``: rows gone to other regions, a count another region's row
    gave, a share outside its range, an edition holding another's, on any level). A page says why for each."""
    lines = []
    if "copied_years" in tables and len(c := store.table("copied_years")):
        c = c.assign(region_id=c["region_id"].astype(str) if "region_id" in c else "")
        parts = []
        for period, at in c.groupby(c["period"].astype(str), sort=True):
            every = sorted(set(at.loc[at["region_id"] == "", "indicator_id"].astype(str)))
            block = at[at["region_id"] != ""]
            if every:
                parts.append(f"{period} {', '.join(every)} (every region)")
            if len(block):
                ids = sorted(set(block["indicator_id"].astype(str)))
                parts.append(f"{period} {', '.join(ids)} ({block['region_id'].nunique():,} regions)")
        lines.append("values that repeat the year before (no change measured from or to them): "
                     + "; ".join(parts[:shown]) + (f"; … ({len(parts)} in all)" if len(parts) > shown else ""))
    if "left_out_values" in tables and len(left := store.table("left_out_values")):
        per = left.groupby([left["period"].astype(str), left["indicator_id"].astype(str)]).size()
        listed = [f"{p} {i} {n:,}" for (p, i), n in per.items()]
        # an edition of another level than the profiles' (a file of another year there) is left out of its pages
        profiled = set(store.table("profiles")["region_id"].astype(str)) if "profiles" in tables else set()
        other = int((~left["region_id"].astype(str).isin(profiled)).sum()) if profiled else 0
        lines.append(("values left out of the profiles: " if not other else "values left out: ") + f"{len(left):,} ("
                     + "; ".join(listed[:shown]) + (f"; … {len(listed)} editions in all" if len(listed) > shown else "")
                     + (f"; {other:,} of them of regions of other levels than the profiles'" if other else "")
                     + "); a region's page says why (table left_out_values)")
    return lines


def registers_summary(store, tables: set[str] | None = None) -> list[str]:
    """The registers a county imported and what was made of them: facilities by type, measures by status, and
    the effects estimated ('sozialradar impact')."""
    tables = store.tables() if tables is None else tables
    lines = []
    if "facilities" in tables and len(f := store.table("facilities")):
        lines.append(f"facilities: {len(f):,} (" + ", ".join(
            f"{t} {n}" for t, n in f["type"].value_counts().items()) + f"; {f['capacity'].sum():,.0f} places)")
    if "measures" in tables and len(m := store.table("measures")):
        lines.append(f"measures: {len(m):,} (" + ", ".join(f"{s} {n}" for s, n in m["status"].value_counts().items())
                     + ")")
        if "impacts" in tables and len(i := store.table("impacts")):
            shown = i["withheld"].isna()
            lines.append(f"  effects estimated: {int(shown.sum())} of {len(i)} (measure, region, indicator); "
                         f"{int(i.loc[shown, 'distinguishable'].sum())} told apart from noise, {int((~shown).sum())} "
                         "withheld with their reason")
        else:
            lines.append("  effects: none estimated yet ('sozialradar impact')")
    return lines
