"""What the ensemble needs to know about its members: pipelines, samplers, validation data."""

from __future__ import annotations

import inspect
from typing import Any


def unwrap(estimator: Any) -> tuple[str, Any, list[tuple[str, Any]]]:
    """Find the final estimator of a (possibly nested) pipeline.

    Parameters
    ----------
    estimator : estimator
        A classifier, or a scikit-learn / imbalanced-learn pipeline ending in one.

    Returns
    -------
    prefix : str
        The fit-parameter prefix that routes to the final estimator, e.g.
        ``"cnnclassifier__"`` (empty for a bare estimator).
    final : estimator
        The last step (the estimator itself when it is not a pipeline).
    leading : list of (str, object)
        The steps before it, named by their routing prefix.
    """
    prefix, leading = "", []
    while isinstance(getattr(estimator, "steps", None), list) and estimator.steps:
        *before, (name, last) = estimator.steps
        leading += [(prefix + step_name, step) for step_name, step in before]
        prefix += f"{name}__"
        estimator = last
    return prefix, estimator, leading


def is_sampler(step: Any) -> bool:
    """Return whether a pipeline step leaves prediction inputs untouched.

    Samplers (anything with ``fit_resample``, such as
    :class:`skbia.ImageAugmenter`) act only while a pipeline is fitted; ``None``
    and ``"passthrough"`` do nothing at all.
    """
    return step is None or (isinstance(step, str) and step == "passthrough") or hasattr(
        step, "fit_resample"
    )


def non_sampler_steps(estimator: Any) -> list[str]:
    """Return the names of the steps before the final estimator that are not samplers."""
    _, _, leading = unwrap(estimator)
    return [name for name, step in leading if not is_sampler(step)]


def accepts_validation_data(estimator: Any) -> bool:
    """Return whether the final estimator's ``fit`` takes a ``validation_data`` argument."""
    _, final, _ = unwrap(estimator)
    fit = getattr(final, "fit", None)
    if fit is None:
        return False
    try:
        parameters = inspect.signature(fit).parameters
    except (TypeError, ValueError):
        return False
    return "validation_data" in parameters


def check_validation_route(estimator: Any) -> None:
    """Check that held-out images can be given to the final estimator as validation data.

    Parameters
    ----------
    estimator : estimator
        The ensemble's template estimator.

    Raises
    ------
    ValueError
        If the final estimator's ``fit`` has no ``validation_data`` argument,
        or a step before it transforms images (the validation images would
        reach the final estimator untransformed).
    """
    if not accepts_validation_data(estimator):
        _, final, _ = unwrap(estimator)
        raise ValueError(
            f"validation='fold' gives each member its held-out fold as validation_data, but "
            f"{type(final).__name__}.fit takes no validation_data argument; use "
            "validation=None."
        )
    transformers = non_sampler_steps(estimator)
    if transformers:
        raise ValueError(
            "validation='fold' hands the held-out images to the final step unchanged, but the "
            f"pipeline step(s) {', '.join(map(repr, transformers))} before it transform images; "
            "use validation=None, or only samplers (such as ImageAugmenter) before the "
            "classifier."
        )


def validation_fit_params(estimator: Any, X_val: Any, y_val: Any) -> dict[str, Any]:
    """Return the fit parameters that give the final estimator ``(X_val, y_val)``.

    Parameters
    ----------
    estimator : estimator
        The member about to be fitted.
    X_val, y_val : array-like
        The held-out images and labels.

    Returns
    -------
    params : dict
        ``{"validation_data": ...}`` for a bare estimator,
        ``{"<step>__validation_data": ...}`` for a pipeline.
    """
    prefix, _, _ = unwrap(estimator)
    return {f"{prefix}validation_data": (X_val, y_val)}
