"""Quiet by default: the libraries' chatter stays out of the output, --verbose brings it back, and a failure
still shows what was held back."""

import subprocess
import sys
import textwrap

import pytest

from ml.quiet import quiet_stderr
from tests.conftest import PROJECT_ROOT

SCRIPT = textwrap.dedent("""
    import sys
    from ml.quiet import quiet_libraries, quiet_stderr
    quiet_libraries(sys.argv[2] == "verbose")
    import mlflow, mlflow.pyfunc, numpy as np
    from mlflow.models import infer_signature
    from models.forecast_models import prophet_forecast

    mlflow.set_tracking_uri(f"sqlite:///{sys.argv[1]}/mlflow.db")
    mlflow.set_experiment("quiet")

    class Constant(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    import pandas as pd
    example = pd.DataFrame({"x": [1, 2, 3]})
    with mlflow.start_run():
        with quiet_stderr():
            mlflow.pyfunc.log_model(name="model", python_model=Constant(), input_example=example,
                                    signature=infer_signature(example, example), registered_model_name="quiet-test")
    prophet_forecast([str(y) for y in range(2010, 2020)], np.arange(10.0), 2, "annual")
    print("done")
""")


@pytest.mark.parametrize("mode", ["quiet", "verbose"])
def test_the_libraries_speak_only_when_asked(tmp_path, mode):
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), mode], cwd=PROJECT_ROOT, capture_output=True,
                         text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT),
                                                      "HOME": str(tmp_path)})
    assert run.returncode == 0 and run.stdout.strip() == "done", run.stderr[-2000:]
    chatter = ("Successfully registered model", "INFO mlflow", "cmdstanpy", "Downloading artifacts")
    if mode == "quiet":
        assert not any(c in run.stderr for c in chatter), run.stderr[-2000:]
    else:
        assert "Successfully registered model 'quiet-test'" in run.stderr and "INFO mlflow" in run.stderr


def test_held_back_output_is_shown_when_the_block_fails(capsys, monkeypatch):
    monkeypatch.delenv("SOZIALRADAR_VERBOSE", raising=False)
    with quiet_stderr():
        print("harmless", file=sys.stderr)
    assert capsys.readouterr().err == ""
    with pytest.raises(RuntimeError), quiet_stderr():
        print("the reason", file=sys.stderr)
        raise RuntimeError("failed")
    assert "the reason" in capsys.readouterr().err
