"""MLflow model-from-code definition of the classifier pyfunc: the LVQ model, or the classifier served in its place
(logged by path, so nothing is pickled)."""

from mlflow.models import set_model

from models.packaging import LVQPyfunc

set_model(LVQPyfunc())
