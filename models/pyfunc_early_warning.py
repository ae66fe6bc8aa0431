"""MLflow model-from-code definition of the early-warning pyfunc (logged by path, so nothing is pickled)."""

from mlflow.models import set_model

from models.packaging import EarlyWarningPyfunc

set_model(EarlyWarningPyfunc())
