"""skbia: scikit-learn compatible CNN classifiers for astronomical images.

The public API is what this module exports. Importing :mod:`skbia` is cheap:
TensorFlow and Keras are only imported when an object that needs them
(:class:`CNNClassifier`, the callbacks, the losses) is first accessed.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

from skbia import _legacy_paths  # noqa: E402

_legacy_paths.install()  # objects pickled by 0.1.0 name modules that have moved

# public name -> module that defines it (imported on first access)
_LAZY_EXPORTS: dict[str, str] = {
    "CNNClassifier": "skbia.classifier",
    "make_lens_finder": "skbia.classifier",
    "lens_finder_image_size": "skbia.classifier",
    "CNNSearchCV": "skbia.tuning",
    "FoldEnsembleClassifier": "skbia.ensemble",
    "build_search_space": "skbia.tuning",
    "ImageAugmenter": "skbia.augmentation",
    "LensInjector": "skbia.augmentation",
    "inject_lenses": "skbia.datasets",
    "MetricThresholdStop": "skbia.callbacks",
    "WeightedBinaryCrossentropy": "skbia.losses",
    "make_lenses": "skbia.datasets",
    "plot_images": "skbia.plotting",
    "evaluate_scores": "skbia.evaluation",
    "plot_history": "skbia.plotting",
    "plot_roc_pr": "skbia.plotting",
    "plot_tsne": "skbia.plotting",
    "score_files": "skbia.scoring",
}

__all__ = sorted([*_LAZY_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    """Import public objects lazily so that ``import skbia`` stays fast."""
    module_name = _LAZY_EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'skbia' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
