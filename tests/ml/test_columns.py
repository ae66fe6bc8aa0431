import pandas as pd
from hypothesis import given, strategies as st

from ml.columns import DIM, DZ, MODEL, PROB, Z, column, columns, id_of, ids, rename_to_ids

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=20)


@given(st.lists(NAMES, min_size=1, max_size=8, unique=True), st.sampled_from([Z, DZ, DIM, MODEL, PROB]))
def test_names_round_trip(names, prefix):
    cols = columns(prefix, names)
    assert ids(cols, prefix) == names and [id_of(c, prefix) for c in cols] == names


def test_prefixes_do_not_capture_each_other():
    cols = ["region_id", "z_sgb2_quote", "dz_sgb2_quote", "dim_arbeit", "m_sgb2_quote", "imputed_sgb2_quote"]
    assert ids(cols, Z) == ["sgb2_quote"] and ids(cols, DZ) == ["sgb2_quote"] and ids(cols, DIM) == ["arbeit"]
    assert id_of("dz_x", Z) is None and column(DIM, "arbeit") == "dim_arbeit"
    frame = pd.DataFrame([[1, 2.0, 3.0]], columns=["region_id", "z_a", "z_b"])
    assert list(rename_to_ids(frame, Z).columns) == ["a", "b"]
