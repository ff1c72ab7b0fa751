"""Where the classifier's model runs: the ``device`` parameter and the scope it stands for.

``device`` is None (TensorFlow's own placement), ``"cpu"``, ``"gpu"``,
``"gpu:<index>"`` or ``"mirrored"`` (synchronous data-parallel training with
:class:`tf.distribute.MirroredStrategy`).
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import keras

__all__ = ["MIRRORED", "check_device", "device_scope"]

_DEVICE = re.compile(r"^(cpu|gpu)(:\d+)?$")
#: The ``device`` value for data-parallel training on every visible GPU.
MIRRORED = "mirrored"


def check_device(device: Any) -> str | None:
    """Return the normalized ``device`` name, or None for TensorFlow's own placement.

    Parameters
    ----------
    device : str or None
        The ``device`` parameter (case and a leading ``/`` are ignored).

    Returns
    -------
    name : str or None
        ``"cpu"``, ``"gpu"``, ``"gpu:<index>"``, ``"mirrored"`` or None.

    Raises
    ------
    ValueError
        If ``device`` is malformed or names a GPU that TensorFlow does not see.
    """
    if device is None:
        return None
    name = str(device).lower().lstrip("/")
    if not isinstance(device, str) or not (_DEVICE.match(name) or name == MIRRORED):
        raise ValueError(
            "device must be None, 'cpu', 'gpu', 'gpu:<index>' or 'mirrored'; got "
            f"{device!r}."
        )
    kind, _, index = name.partition(":")
    if kind == "gpu":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if int(index or 0) >= len(gpus):
            raise ValueError(
                f"device={device!r} but TensorFlow sees {len(gpus)} GPU(s); use "
                "device=None or 'cpu'."
            )
    return name


def _mirrored_strategy():
    """Return a MirroredStrategy over every visible GPU, or the CPUs without one."""
    import tensorflow as tf

    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy(devices=[device.name for device in devices])


def device_scope(
    estimator: Any, *, building: bool = False, continuing: bool = False
) -> AbstractContextManager:
    """Return the context that places the classifier's work on its ``device``.

    With ``device="mirrored"`` the model's variables belong to the
    distribution strategy it was built under, and Keras runs ``fit``,
    ``predict`` and ``evaluate`` through that strategy by itself; a scope is
    entered only while a model is built or loaded (``building=True``), and
    training a model further (``continuing=True``) re-enters the strategy it
    was built under.

    Parameters
    ----------
    estimator : CNNClassifier
        The classifier (its ``device`` and, when continuing, its ``model_``).
    building : bool, default=False
        Whether a model is built or loaded in the scope.
    continuing : bool, default=False
        Whether the existing model is trained further.

    Returns
    -------
    scope : context manager

    Raises
    ------
    ValueError
        If ``device`` is malformed or names a GPU that TensorFlow does not see.
    """
    name = check_device(estimator.device)
    if name is None:
        return nullcontext()
    if name == MIRRORED:
        if not building:
            return nullcontext()
        if continuing:
            return estimator.model_.distribute_strategy.scope()
        return _mirrored_strategy().scope()
    kind, _, index = name.partition(":")
    return keras.device(f"{kind}:{index or 0}")
