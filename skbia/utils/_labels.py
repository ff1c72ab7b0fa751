"""Which class is the positive one: the single rule used throughout skbia."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from skbia.utils._checks import is_real

__all__ = ["resolve_positive_label"]

# Binary classes whose positive class is assumed without being named (as in scikit-learn).
_CONVENTIONAL_BINARY = ({0, 1}, {-1, 1})


def resolve_positive_label(
    classes: Sequence | np.ndarray,
    positive_label: Any = None,
    *,
    counts: Sequence[int] | np.ndarray | None = None,
    required_for: str | None = None,
) -> Any:
    """Return the positive class of ``classes``: the one rule of the whole package.

    The rule, in order:

    1. If ``positive_label`` is given, it is the positive class. It must be
       one of ``classes``: labels are compared by value within a kind, so a
       NumPy integer matches a Python integer and ``1.0`` matches ``1``, but a
       string never matches a number (``"1"`` is not ``1``) and a boolean
       never matches a number (``True`` is not ``1``).
    2. Otherwise, with exactly two classes that are ``{0, 1}``, ``{-1, 1}``
       (integers or floats) or ``{False, True}``, the larger one: ``1`` (or
       ``True``).
    3. Otherwise, with exactly two other classes (e.g. ``"lens"`` and
       ``"other"``, or 3 and 7), skbia does not guess: if ``required_for``
       names who needs the positive class, a ``ValueError`` asks for
       ``positive_label``; if ``required_for`` is None, the sorted-last class
       (scikit-learn's convention for binary classifiers, ``classes_[1]``,
       whose probability is the score).
    4. With more than two classes: the least frequent class if ``counts`` are
       given (ties go to the last class in sorted order), else None.

    Parameters
    ----------
    classes : array-like of shape (n_classes,)
        The distinct class labels, as ``numpy.unique(y)`` returns them.
    positive_label : label or None, default=None
        The positive class named by the user; None applies rules 2 to 4.
    counts : array-like of shape (n_classes,) or None, default=None
        Number of samples of each class, in the order of ``classes``. Only
        used with more than two classes.
    required_for : str or None, default=None
        Who needs the positive class, for the error message of rule 3 (e.g.
        ``"ImageAugmenter (the class to augment)"``). None makes rule 3 return
        the sorted-last class instead of raising.

    Returns
    -------
    positive : label or None
        An element of ``classes`` (a Python scalar for NumPy scalars), or None
        for more than two classes without ``counts``.

    Raises
    ------
    ValueError
        If ``classes`` holds fewer than two labels or repeats one, if
        ``counts`` does not have one entry per class, if ``positive_label`` is
        not one of ``classes`` (the message lists them), or under rule 3 with
        ``required_for`` set.

    Examples
    --------
    >>> from skbia.utils import resolve_positive_label
    >>> resolve_positive_label([0, 1])
    1
    >>> resolve_positive_label(["lens", "other"])
    'other'
    >>> resolve_positive_label(["lens", "other"], "lens", required_for="ImageAugmenter")
    'lens'
    >>> resolve_positive_label(["galaxy", "lens", "star"], counts=[40, 3, 500])
    'lens'
    """
    labels = _as_labels(classes)
    if positive_label is not None:
        return _matching_label(labels, positive_label)
    if len(labels) == 2:
        return _binary_positive(labels, required_for)
    if counts is None:
        return None
    return _least_frequent(labels, counts)


def _as_labels(classes) -> list:
    """Return the classes as a list of Python scalars, checking that they are distinct."""
    values = np.asarray(classes, dtype=object if isinstance(classes, list | tuple) else None)
    if values.ndim != 1:
        raise ValueError(f"classes must be 1-d; got shape {values.shape}.")
    labels = [_plain(label) for label in values]
    if len(labels) < 2:
        raise ValueError(f"classes must hold at least two labels; got {labels!r}.")
    for i, label in enumerate(labels):
        if any(_same_label(label, other) for other in labels[:i]):
            raise ValueError(f"classes must be distinct; {label!r} appears twice in {labels!r}.")
    return labels


def _plain(label: Any) -> Any:
    """Return a Python scalar for a NumPy scalar or 0-d array, else ``label`` itself."""
    if isinstance(label, np.generic) or (isinstance(label, np.ndarray) and label.ndim == 0):
        return label.item()
    return label


def _kind(label: Any) -> str:
    """Return the kind of a label: booleans, numbers and strings never match each other."""
    if isinstance(label, bool | np.bool_):
        return "bool"
    if is_real(label):
        return "number"
    if isinstance(label, str):
        return "str"
    return type(label).__qualname__


def _same_label(a: Any, b: Any) -> bool:
    """Whether two plain labels are the same class: same kind and equal."""
    if _kind(a) != _kind(b):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # e.g. arrays, whose == has no single truth value
        return False


def _matching_label(labels: list, positive_label: Any) -> Any:
    """Return the element of ``labels`` that ``positive_label`` names."""
    wanted = _plain(positive_label)
    for label in labels:
        if _same_label(label, wanted):
            return label
    raise ValueError(
        f"positive_label={positive_label!r} is not one of the classes in y "
        f"({', '.join(map(repr, labels))})."
    )


def _binary_positive(labels: list, required_for: str | None) -> Any:
    """Rules 2 and 3: the larger of 0/1-like labels, else ask (or scikit-learn's classes_[1])."""
    kinds = {_kind(label) for label in labels}
    if kinds == {"bool"} or (kinds == {"number"} and set(labels) in _CONVENTIONAL_BINARY):
        return max(labels)
    ordered = _sorted(labels)
    if required_for is not None:
        raise ValueError(
            f"y has the labels {ordered[0]!r} and {ordered[1]!r}; set positive_label to the "
            f"class that is positive (skbia only assumes it for 0/1 labels): needed by "
            f"{required_for}."
        )
    return ordered[-1]


def _least_frequent(labels: list, counts) -> Any:
    """Rule 4: the least frequent class; ties go to the last one in sorted order."""
    amounts = np.asarray(counts)
    if amounts.shape != (len(labels),):
        raise ValueError(
            f"counts must have one entry per class ({len(labels)}); got shape {amounts.shape}."
        )
    rarest = [label for label, n in zip(labels, amounts, strict=True) if n == amounts.min()]
    return _sorted(rarest)[-1]


def _sorted(labels: list) -> list:
    """Return the labels sorted; in the given order when they cannot be compared."""
    try:
        return sorted(labels)
    except TypeError:
        return list(labels)
