"""MLflow model-from-code definition of the LVQ pyfunc (logged by path, so nothing is pickled)."""

from mlflow.models import set_model

from models.packaging import LVQPyfunc

set_model(LVQPyfunc())
