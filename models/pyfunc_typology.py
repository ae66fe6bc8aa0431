"""MLflow model-from-code definition of the typology pyfunc (logged by path, so nothing is pickled)."""

from mlflow.models import set_model

from models.packaging import TypologyPyfunc

set_model(TypologyPyfunc())
