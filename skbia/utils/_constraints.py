"""Parameter constraints for scikit-learn's declarative validation, without booleans.

scikit-learn's :class:`~sklearn.utils._param_validation.Interval` accepts
``True`` and ``False`` where an int or a float is meant (``bool`` is an
:class:`numbers.Integral`). skbia never takes a boolean for a number, so the
intervals declared here reject them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval

__all__ = ["NumberInterval"]


class NumberInterval(Interval):
    """An :class:`~sklearn.utils._param_validation.Interval` that rejects booleans.

    Parameters
    ----------
    type : {numbers.Integral, numbers.Real, RealNotInt}
        The type of the accepted numbers.
    left, right : float, int or None
        The bounds of the interval; None means unbounded.
    closed : {"left", "right", "both", "neither"}
        Which bounds belong to the interval.

    Examples
    --------
    >>> from numbers import Integral
    >>> counts = NumberInterval(Integral, 0, None, closed="left")
    >>> counts.is_satisfied_by(3), counts.is_satisfied_by(True), counts.is_satisfied_by(-1)
    (True, False, False)
    """

    def is_satisfied_by(self, val: Any) -> bool:
        """Return whether ``val`` is a number of the right type inside the interval."""
        if isinstance(val, bool | np.bool_):
            return False
        return super().is_satisfied_by(val)
