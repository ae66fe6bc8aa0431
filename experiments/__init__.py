"""Entry points: the ``sozialradar`` command line and the MLflow runs. Imported by nothing."""
