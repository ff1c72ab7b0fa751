"""CNN architectures, custom layers and the in-model preprocessing of skbia.

An architecture builder takes the preprocessed image tensor and keyword
arguments (the generic ones shared by all builders and per-layer ones) and
returns the feature tensor; the classifier adds the output layer.
"""

from __future__ import annotations

from collections.abc import Callable

from skbia.architectures.alexnet import build_alexnet
from skbia.architectures.compact import build_compact
from skbia.architectures.resnet18 import build_resnet18
from skbia.architectures.vgg16 import build_vgg16

__all__ = [
    "ARCHITECTURES",
    "build_alexnet",
    "build_compact",
    "build_resnet18",
    "build_vgg16",
    "get_architecture",
]

#: Built-in architecture builders by name.
ARCHITECTURES: dict[str, Callable] = {
    "alexnet": build_alexnet,
    "vgg16": build_vgg16,
    "resnet18": build_resnet18,
    "compact": build_compact,
}


def get_architecture(arch: str | Callable) -> Callable:
    """Return the builder for ``arch``.

    Parameters
    ----------
    arch : str or callable
        ``"alexnet"``, ``"vgg16"``, ``"resnet18"`` or ``"compact"``, or a user
        builder. A builder is called as ``builder(inputs, pooling=...,
        regularizer=..., conv_activation=..., dense_activation=...,
        conv_initializer=..., dense_initializer=..., dropout=...,
        filter_scale=..., **model_kwargs)`` with the preprocessed image tensor
        and must return the feature tensor (everything but the output layer).

    Returns
    -------
    builder : callable
        The named builder, or ``arch`` itself if it is callable.

    Raises
    ------
    ValueError
        If ``arch`` is an unknown name (the message lists the valid names) or
        neither a string nor a callable.
    """
    if callable(arch):
        return arch
    if isinstance(arch, str) and arch in ARCHITECTURES:
        return ARCHITECTURES[arch]
    valid = ", ".join(repr(name) for name in ARCHITECTURES)
    raise ValueError(
        f"Unknown architecture {arch!r}; valid names are {valid}, or pass a callable builder."
    )
