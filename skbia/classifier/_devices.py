"""Where the classifier's model runs: the ``device`` parameter and the scope it stands for.

``device`` is None (the backend's own placement), ``"cpu"``, ``"gpu"``,
``"gpu:<index>"`` or ``"data_parallel"`` (``"mirrored"`` is an alias):
synchronous data-parallel training over every visible GPU, or over the CPU
devices without one. Data parallelism is the backend's own:
:class:`tf.distribute.MirroredStrategy` on TensorFlow,
:class:`keras.distribution.DataParallel` on JAX; PyTorch has none in Keras.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import keras

__all__ = ["DATA_PARALLEL", "MIRRORED", "check_device", "device_scope", "loading_device",
           "visible_gpus"]

_DEVICE = re.compile(r"^(cpu|gpu)(:\d+)?$")
#: The ``device`` value for data-parallel training on every visible GPU.
DATA_PARALLEL = "data_parallel"
#: The TensorFlow-flavoured spelling of :data:`DATA_PARALLEL` (kept as an alias).
MIRRORED = "mirrored"


def visible_gpus() -> int:
    """Return how many GPUs the active Keras backend sees."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return sum(device.platform == "gpu" for device in jax.devices())
    if backend == "torch":
        import torch

        return int(torch.cuda.device_count())
    return 0


def check_device(device: Any) -> str | None:
    """Return the normalized ``device`` name, or None for the backend's own placement.

    Parameters
    ----------
    device : str or None
        The ``device`` parameter (case and a leading ``/`` are ignored).

    Returns
    -------
    name : str or None
        ``"cpu"``, ``"gpu"``, ``"gpu:<index>"``, ``"data_parallel"`` (also for
        ``"mirrored"``) or None.

    Raises
    ------
    ValueError
        If ``device`` is malformed, names a GPU that the backend does not see,
        or asks for data parallelism on a backend without it (PyTorch).
    """
    if device is None:
        return None
    name = str(device).lower().lstrip("/")
    if name == MIRRORED:
        name = DATA_PARALLEL
    if not isinstance(device, str) or not (_DEVICE.match(name) or name == DATA_PARALLEL):
        raise ValueError(
            "device must be None, 'cpu', 'gpu', 'gpu:<index>' or 'data_parallel' (alias "
            f"'mirrored'); got {device!r}."
        )
    backend = keras.backend.backend()
    if name == DATA_PARALLEL and backend not in ("tensorflow", "jax"):
        raise ValueError(
            f"device={device!r} needs the TensorFlow or JAX backend; Keras has no data "
            f"parallelism for the {backend!r} backend."
        )
    kind, _, index = name.partition(":")
    if kind == "gpu":
        n_gpus = visible_gpus()
        if int(index or 0) >= n_gpus:
            raise ValueError(
                f"device={device!r} but the {backend} backend sees {n_gpus} GPU(s); use "
                "device=None or 'cpu'."
            )
    return name


def loading_device(device: Any) -> tuple[Any, str | None]:
    """Return the device to load a saved classifier on, and why it differs.

    A model trained on a GPU must still load (for scoring, say) on a machine
    without one: a saved ``"gpu"``/``"gpu:<i>"`` that this backend does not
    see gives None (the backend's own placement) and a sentence saying so.

    Parameters
    ----------
    device : str or None
        The saved ``device`` parameter.

    Returns
    -------
    device : str or None
        ``device`` itself where it is available here, else None.
    reason : str or None
        None, or why ``device`` was replaced.

    Raises
    ------
    ValueError
        If ``device`` is malformed or otherwise unusable (see :func:`check_device`).
    """
    try:
        check_device(device)
    except ValueError as error:
        if not str(device).lower().lstrip("/").startswith("gpu"):
            raise
        return None, f"{error} It loads with device=None instead."
    return device, None


def _mirrored_strategy():
    """Return a MirroredStrategy over every visible GPU, or the CPUs without one."""
    import tensorflow as tf

    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy(devices=[device.name for device in devices])


def _jax_data_parallel() -> keras.distribution.DataParallel:
    """Return Keras' DataParallel distribution over every GPU, or the CPU devices without one."""
    devices = keras.distribution.list_devices("gpu") if visible_gpus() else (
        keras.distribution.list_devices("cpu"))
    return keras.distribution.DataParallel(devices=devices)


def device_scope(
    estimator: Any, *, building: bool = False, continuing: bool = False
) -> AbstractContextManager:
    """Return the context that places the classifier's work on its ``device``.

    With ``device="data_parallel"`` on TensorFlow the model's variables belong
    to the distribution strategy it was built under, and Keras runs ``fit``,
    ``predict`` and ``evaluate`` through that strategy by itself; a scope is
    entered only while a model is built or loaded (``building=True``), and
    training a model further (``continuing=True``) re-enters the strategy it
    was built under. On JAX the distribution (the same devices every time) is
    entered for every step (building, training, predicting), since Keras
    shards each batch by the distribution active at the time.

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
        See :func:`check_device`.
    """
    name = check_device(estimator.device)
    if name is None:
        return nullcontext()
    if name == DATA_PARALLEL:
        if keras.backend.backend() == "jax":
            return _jax_data_parallel().scope()
        if not building:
            return nullcontext()
        if continuing:
            return estimator.model_.distribute_strategy.scope()
        return _mirrored_strategy().scope()
    kind, _, index = name.partition(":")
    if kind == "cpu" and keras.backend.backend() == "torch":
        # PyTorch names its one CPU device "cpu": under "cpu:0" Keras moves every new variable
        # to another device name, which turns its Parameter into a plain tensor and fails for
        # integer variables (a dropout layer's seed state)
        return keras.device("cpu")
    return keras.device(f"{kind}:{index or 0}")
