"""A balance beside its terms (``balance_of``): births, deaths and the natural balance; moves in, out and the
migration balance; the total balance of the two. No withheld value follows from a page's others, nor from the pages
of every level together (a linear system over the region tree and the balances)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings
from hypothesis import strategies as st

from features.pipeline import other_level_values, run_pipeline
from features.relations import BALANCE, withhold_balances
from features.steps import suppress_small_numbers
from ml.catalog import effective_catalog
from ml.config import load_settings
from serving.key_figures import flag_text

CATALOG = effective_catalog(load_settings(env={}))
PRIVACY = load_settings(env={}).privacy
TREE = {"S1": ["G1", "G2", "G3"], "S2": ["G4", "G5"]}


def _frame(values: dict[str, float | None]) -> pd.DataFrame:
    rows = [("G", i, "2022", v) for i, v in values.items()]
    out = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value"])
    return out.assign(numerator=np.nan, denominator=np.nan, flag="ok")


def _reasons(values: dict[str, float | None]) -> dict[str, str]:
    frame = pd.concat([_frame(values), _frame({"einwohner": 5000})], ignore_index=True)
    out = suppress_small_numbers(frame, CATALOG, PRIVACY, "einwohner")
    return dict(zip(out["indicator_id"], out["suppressed_by"].fillna("")))


def test_a_small_number_of_births_withholds_the_natural_balance_beside_the_deaths():
    why = _reasons({"geburten": 2, "sterbefaelle": 6, "saldo_natuerlich": -4})
    assert why["geburten"] == "count" and why["saldo_natuerlich"] == BALANCE and why["sterbefaelle"] == ""
    assert flag_text("suppressed", BALANCE) == ("gesperrt (sonst ließe sich über den Saldo ein gesperrter Wert "
                                                "errechnen)")


def test_shown_terms_stay_shown_and_a_missing_term_leaves_nothing_to_compute():
    assert set(_reasons({"geburten": 12, "sterbefaelle": 16, "saldo_natuerlich": -4}).values()) == {""}
    assert _reasons({"geburten": 2, "saldo_natuerlich": -4})["saldo_natuerlich"] == ""         # no deaths given
    assert _reasons({"geburten": 2, "sterbefaelle": None, "saldo_natuerlich": -4})["saldo_natuerlich"] == ""


def test_a_balance_withheld_already_withholds_the_smallest_other_term():
    """The source withheld the natural balance but gave births and deaths: births, the smaller, are withheld. With
    births withheld too, nothing follows (births less the balance are the deaths: two unknowns)."""
    frame = _frame({"geburten": 12, "sterbefaelle": 16, "saldo_natuerlich": -4})
    assert list(withhold_balances(frame, np.array(["", "", "source"], dtype=object), CATALOG)) == [
        BALANCE, "", "source"]
    assert list(withhold_balances(frame, np.array(["count", "", "source"], dtype=object), CATALOG)) == [
        "count", "", "source"]


def test_small_numbers_on_both_sides_withhold_the_balance_and_the_total_balance_follows():
    """1 birth and 2 deaths: both small, the balance of -1 would leave 1 and 2 or 0 and 1 — with -2 it would tell
    0 and 2, so a balance beside small numbers alone is withheld. The total balance is the natural balance and the
    migration balance: withheld beside it."""
    why = _reasons({"geburten": 1, "sterbefaelle": 2, "saldo_natuerlich": -1, "zuzuege": 40, "fortzuege": 31,
                    "saldo_wanderung": 9, "saldo_gesamt": 8})
    assert why == {"geburten": "count", "sterbefaelle": "count", "saldo_natuerlich": BALANCE, "zuzuege": "",
                   "fortzuege": "", "saldo_wanderung": "", "saldo_gesamt": BALANCE, "einwohner": ""}


def test_the_rate_over_a_balance_withheld_so_is_withheld_with_it():
    frame = _frame({"geburten": 2, "sterbefaelle": 6, "saldo_natuerlich": -4, "einwohner": 5000})
    frame = pd.concat([frame, pd.DataFrame([{"region_id": "G", "indicator_id": "natuerlicher_saldo", "period": "2022",
                                             "value": -0.8, "numerator": -4.0, "denominator": 5000.0,
                                             "flag": "ok"}])], ignore_index=True)
    out = suppress_small_numbers(frame, CATALOG, PRIVACY, "einwohner").set_index("indicator_id")
    assert out.at["natuerlicher_saldo", "suppressed_by"] == BALANCE               # not "a small number"
    assert np.isnan(out.at["natuerlicher_saldo", "value"])


def _regions() -> pd.DataFrame:
    rows = [("K", "Kreis", "kreis", None)] + [(s, f"Sozialregion {s}", "sozialregion", "K") for s in TREE]
    rows += [(g, f"Gemeinde {g}", "gemeinde", s) for s, parts in TREE.items() for g in parts]
    return pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"])


TERMS = ("geburten", "sterbefaelle", "zuzuege", "fortzuege")
BALANCES = {"saldo_natuerlich": ("geburten", "sterbefaelle"), "saldo_wanderung": ("zuzuege", "fortzuege")}


def _determined(shown: dict[tuple, float], hidden: set[tuple], source: set[tuple]) -> set[tuple]:
    """The withheld values (region, indicator) that the shown ones fix: the region tree per indicator and each
    balance as its terms, one linear system; a withheld value is fixed where no solution moves it."""
    unknown = sorted(hidden | source)
    at = {k: n for n, k in enumerate(unknown)}
    tree = {"K": list(TREE), **TREE}
    equations = [[((w, i), 1)] + [((p, i), -1) for p in parts]
                 for w, parts in tree.items() for i in [*TERMS, *BALANCES, "saldo_gesamt"]]
    regions = ["K", *TREE, *[g for parts in TREE.values() for g in parts]]
    equations += [[((r, b), 1), ((r, a), -1), ((r, c), 1)] for r in regions for b, (a, c) in BALANCES.items()]
    equations += [[((r, "saldo_gesamt"), 1), ((r, "saldo_natuerlich"), -1), ((r, "saldo_wanderung"), -1)]
                  for r in regions]
    rows = []
    for eq in equations:
        row = np.zeros(len(unknown))
        for k, sign in eq:
            if k in at:
                row[at[k]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    a = np.array(rows)
    _, sv, vt = np.linalg.svd(a)
    null = vt[int((sv > 1e-9).sum()):]
    fixed = np.abs(null).max(axis=0) < 1e-8 if len(null) else np.ones(len(unknown), dtype=bool)
    return {k for k in hidden if fixed[at[k]]}


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(*[st.integers(0, 9)] * 4), min_size=5, max_size=5),
       st.lists(st.sampled_from([150, 400, 900, 2500]), min_size=5, max_size=5), st.booleans())
@example([(2, 6, 40, 31), (12, 16, 30, 30), (9, 9, 5, 7), (4, 5, 6, 7), (7, 3, 8, 8)], [900] * 5, False)
@example([(4, 2, 3, 2), (0, 9, 4, 7), (1, 1, 2, 2), (0, 1, 8, 6), (8, 4, 8, 3)], [400, 2500, 900, 2500, 2500], False)
@example([(2, 6, 40, 31), (12, 16, 30, 30), (9, 9, 5, 7), (4, 5, 6, 7), (7, 3, 8, 8)], [150, 900, 900, 900, 900],
         True)
def test_no_withheld_value_follows_from_the_pages_of_every_level(flows, residents, secondary):
    """Five Gemeinden with births, deaths, moves in and out and their balances: no value the privacy rules withhold
    for its own sake follows from the pages of the Gemeinden, the Sozialregionen and the Kreis together; every value
    shown is the true one; and nothing is withheld besides where nothing is withheld for its own sake."""
    settings = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "gemeinde",
                                  "SOZIALRADAR_FEATURES__REFERENCE_LEVEL": "null",
                                  "SOZIALRADAR_PRIVACY__SECONDARY": "true" if secondary else "false"})
    gemeinden = [g for parts in TREE.values() for g in parts]
    true = {}
    rows = []
    for g, (born, died, came, left), ew in zip(gemeinden, flows, residents):
        values = {"einwohner": ew, "geburten": born, "sterbefaelle": died, "zuzuege": came, "fortzuege": left,
                  "saldo_natuerlich": born - died, "saldo_wanderung": came - left,
                  "saldo_gesamt": born - died + came - left}
        true |= {(g, i): v for i, v in values.items()}
        rows += [(g, i, "2022", v) for i, v in values.items()]
    for s, parts in TREE.items():
        true |= {(s, i): sum(true[(g, i)] for g in parts) for i in [*TERMS, *BALANCES, "saldo_gesamt"]}
    true |= {("K", i): true[("S1", i)] + true[("S2", i)] for i in [*TERMS, *BALANCES, "saldo_gesamt"]}
    obs = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value"]).assign(
        numerator=np.nan, denominator=np.nan, flag="ok")
    result = run_pipeline(obs, _regions(), CATALOG, settings)
    other = other_level_values(obs, _regions(), CATALOG, settings, secondary=result.secondary)
    pages = pd.concat([result.values, other], ignore_index=True)
    pages = pages[pages["indicator_id"].isin([*TERMS, *BALANCES, "saldo_gesamt"]) & (pages["period"] == "2022")]
    keys = list(zip(pages["region_id"], pages["indicator_id"]))
    why = dict(zip(keys, pages["suppressed_by"].fillna("")))
    shown = {k: v for k, v in zip(keys, pages["value"]) if not np.isnan(v)}
    assert all(v == pytest.approx(true[k]) for k, v in shown.items())         # every shown value is the true one
    # what the privacy rules withhold for its own sake: a small number, a small area's values
    secret = {k for k in keys if k not in shown and why[k] in ("count", "population", "source")}
    assert secret or not any(v in ("balance", "complement") for v in why.values())
    assert not _determined(shown, secret, {k for k in keys if k not in shown} - secret), why


def test_a_group_too_large_to_solve_withholds_every_value_of_the_other_levels_in_it(monkeypatch):
    """The county found by search, with the audit's limit at no withheld value: every group with a protected value
    is too large to solve, so each value of the Sozialregionen and the Kreis in its equations is withheld, and the
    audit says how many protected values it could not check. Nothing follows still."""
    import features.relations as relations

    flows = [(4, 2, 3, 2), (0, 9, 4, 7), (1, 1, 2, 2), (0, 1, 8, 6), (8, 4, 8, 3)]
    gemeinden = [g for parts in TREE.values() for g in parts]
    cells, protected = [], []
    for g, (born, died, came, left) in zip(gemeinden, flows):
        for i, v in {"geburten": born, "sterbefaelle": died, "zuzuege": came, "fortzuege": left,
                     "saldo_natuerlich": born - died, "saldo_wanderung": came - left,
                     "saldo_gesamt": born - died + came - left}.items():
            small = i in TERMS and v < 3
            cells.append((g, i, "2022", v))
            protected.append(small)
    for r, parts in {"S1": TREE["S1"], "S2": TREE["S2"], "K": gemeinden}.items():
        for i in [*TERMS, *BALANCES, "saldo_gesamt"]:
            cells.append((r, i, "2022", sum(v for g, j, _, v in cells if g in parts and j == i)))
            protected.append(False)
    frame = pd.DataFrame(cells, columns=["region_id", "indicator_id", "period", "value"])
    protected = np.array(protected)
    # each Gemeinde's page as the privacy rules leave it: its small counts and the balances beside them
    hidden = withhold_balances(frame, np.where(protected, "count", ""), CATALOG) != ""
    movable = ~frame["region_id"].str.startswith("G").to_numpy()
    solved, left = relations.audit_balances(frame, hidden, protected, movable, _regions(), CATALOG)
    assert solved.any() and left == 0
    monkeypatch.setattr(relations, "MAX_UNKNOWNS", 0)
    hit, left = relations.audit_balances(frame, hidden, protected, movable, _regions(), CATALOG)
    assert left > 0 and hit.sum() > solved.sum() and not (hit & ~movable).any()
    shown = {(r, i): v for r, i, _, v in frame[~(hidden | hit)].itertuples(index=False)}
    keys = set(zip(frame["region_id"], frame["indicator_id"]))
    secret = {k for k, h in zip(zip(frame["region_id"], frame["indicator_id"]), protected) if h}
    assert not _determined(shown, secret, keys - secret - set(shown))
