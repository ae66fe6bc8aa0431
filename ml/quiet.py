"""Quiet by default: the libraries' own chatter (MLflow's INFO lines and progress bars, Stan's per-fit lines,
Prophet's plotly notice, MLflow's schema hints) stays out of the command line's output unless ``--verbose``
(or ``SOZIALRADAR_VERBOSE=1``) asks for it. What goes wrong is never hidden: warnings of our own code, errors
and the text a quieted call printed before it failed still reach stderr.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import warnings
from collections.abc import Iterator

VERBOSE_VARIABLE = "SOZIALRADAR_VERBOSE"
QUIET_LOGGERS = {"mlflow": logging.WARNING, "alembic": logging.WARNING, "cmdstanpy": logging.CRITICAL,
                 "prophet": logging.CRITICAL, "prophet.plot": logging.CRITICAL, "prophet.models": logging.CRITICAL,
                 "py4j": logging.WARNING}


def verbose() -> bool:
    """Whether the user asked for the libraries' own output."""
    return os.environ.get(VERBOSE_VARIABLE, "").strip().lower() in ("1", "true", "yes")


def quiet_libraries(be_verbose: bool = False) -> None:
    """Set the process (and, through environment variables, its worker processes) quiet, unless verbose."""
    if be_verbose:
        os.environ[VERBOSE_VARIABLE] = "1"
        return
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"mlflow(\.|$)")
    warnings.filterwarnings("ignore", message=r".*pkg_resources is deprecated.*")


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Hold back what a library prints to stderr inside the block ("Successfully registered model …"); when the
    block fails, the held-back text is written out before the error travels on. Verbose: no effect."""
    if verbose():
        yield
        return
    held = io.StringIO()
    try:
        with contextlib.redirect_stderr(held):
            yield
    except BaseException:
        sys.stderr.write(held.getvalue())
        raise
