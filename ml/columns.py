"""How the wide feature tables name their columns, in one place.

The profiles and the model matrix hold one column per indicator or dimension, named by a prefix and the id:

========  ================  =========================================================================
prefix    table             what the column holds
========  ================  =========================================================================
``z_``    profiles          the indicator's z-value (polarity applied: higher = more burden)
``dz_``   profiles          the change of that z-value since the previous edition
``dim_``  profiles          the dimension score (mean of its indicators' z-values)
``m_``    model_matrix      the z-value with gaps filled for modelling (KNN within the reference group)
``imputed_`` model_matrix   whether ``m_<id>`` was filled in
``p_``    classifier output the probability of a class
========  ================  =========================================================================

Every package names and reads these columns through :func:`column`, :func:`ids` and :func:`rename_to_ids`; no
module slices prefixes itself.
"""

from __future__ import annotations

from typing import Final, Iterable

import pandas as pd

Z: Final = "z_"
DZ: Final = "dz_"
DIM: Final = "dim_"
MODEL: Final = "m_"
IMPUTED: Final = "imputed_"
PROB: Final = "p_"


def column(prefix: str, name: object) -> str:
    """The column of ``name`` (an indicator, dimension or class) in a table using ``prefix``: ``column(Z, 'x')``
    is ``'z_x'``."""
    return f"{prefix}{name}"


def columns(prefix: str, names: Iterable[object]) -> list[str]:
    """:func:`column` for each name, in order."""
    return [column(prefix, n) for n in names]


def ids(cols: Iterable[str], prefix: str) -> list[str]:
    """The names behind the columns that carry ``prefix``, in column order: ``ids(['z_a', 'dz_a'], Z)`` is
    ``['a']``."""
    return [c[len(prefix):] for c in cols if isinstance(c, str) and c.startswith(prefix)]


def id_of(col: str, prefix: str) -> str | None:
    """The name behind one column, or None when it does not carry ``prefix``."""
    return col[len(prefix):] if col.startswith(prefix) else None


def rename_to_ids(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """The columns of ``frame`` that carry ``prefix``, renamed to the bare names (a copy)."""
    keep = [c for c in frame.columns if isinstance(c, str) and c.startswith(prefix)]
    return frame[keep].rename(columns={c: c[len(prefix):] for c in keep})


def latest_complete_period(profiles: pd.DataFrame) -> str | None:
    """The latest period in which some region has a status index, or None."""
    with_index = profiles[profiles["status_index"].notna()]
    return None if with_index.empty else str(with_index["period"].max())
