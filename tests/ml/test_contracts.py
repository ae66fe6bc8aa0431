"""The inputs a stored training result names."""

import json

from ml.contracts import stored_inputs


def test_the_inputs_a_run_used_come_before_those_configured_and_nothing_is_guessed():
    used = json.dumps({"typology": {"features": ["a", "b", "c"]}, "period": "2022", "inputs": ["a", "c"]})
    assert stored_inputs(used, "typology") == ["a", "c"]
    configured = json.dumps({"classifier": {"features": ["x", "y"]}, "period": "2021"})
    assert stored_inputs(configured, "classifier") == ["x", "y"] and stored_inputs(configured, "typology") == []
    default = json.dumps({"typology": {"features": None}, "period": "2021"})      # a store written before inputs
    assert stored_inputs(default, "typology") == []
    assert stored_inputs(None, "typology") == [] and stored_inputs("not json", "typology") == []
    assert stored_inputs("[1, 2]", "typology") == []
