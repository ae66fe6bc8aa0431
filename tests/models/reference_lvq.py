"""sklearn-lvq 1.1.1, the reference implementation, made to run on current numpy and scipy.

Nothing of its code is copied: a context manager supplies the names numpy dropped (``np.int``,
``np.math``) and gives its modules a ``minimize`` that accepts the 2-D starting points it passes
(scipy now requires a 1-D ``x0``).
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import scipy.optimize


def _flat_minimize(fun, x0, args=(), jac=None, **kwargs):
    shape = np.shape(x0)
    x0 = np.asarray(x0, dtype=float).ravel()
    options = dict(kwargs.pop("options", None) or {})
    options.pop("disp", None)  # deprecated in scipy's L-BFGS-B; sklearn-lvq passes it
    kwargs["options"] = options

    def reshaped(f):
        return None if f is None or isinstance(f, bool) else (lambda x, *a: f(x.reshape(shape), *a))

    result = scipy.optimize.minimize(reshaped(fun), x0, args=args,
                                     jac=reshaped(jac) if callable(jac) else jac, **kwargs)
    result.x = result.x.reshape(shape)
    return result


@contextlib.contextmanager
def reference_compat():
    import sklearn_lvq.glvq
    import sklearn_lvq.gmlvq
    import sklearn_lvq.lgmlvq

    modules = [sklearn_lvq.glvq, sklearn_lvq.gmlvq, sklearn_lvq.lgmlvq]
    saved = {m: m.minimize for m in modules}
    added = [name for name in ("int", "math") if not hasattr(np, name)]
    np.int, np.math = int, math  # type: ignore[attr-defined]
    for m in modules:
        m.minimize = _flat_minimize
    try:
        yield
    finally:
        for m, f in saved.items():
            m.minimize = f
        for name in added:
            delattr(np, name)


def reference_models():
    from sklearn_lvq import GlvqModel, GmlvqModel, LgmlvqModel

    return {"glvq": GlvqModel, "gmlvq": GmlvqModel, "lgmlvq": LgmlvqModel}
