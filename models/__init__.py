"""Prototype classifiers (LVQ), typology clustering, forecasting, early warning and explanations.
Depends on ``features`` and ``ml``."""
