"""``skbia demo``: a simulated strong-lens search from data to plots.

Simulates a training set like pyBIA's example (20 lens candidates, 500 other
objects, 100x100 pixels, g/r/i), keeps a stratified fifth of it aside as
validation data, augments the remaining lenses inside an imbalanced-learn
pipeline, trains a CNNClassifier, and evaluates it on a separate simulated test
set. Everything it makes lands in one output folder.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skbia.cli._common import Timer


@dataclass(frozen=True)
class DemoSettings:
    """Sizes of the demo; the defaults follow pyBIA's example, ``fast`` is a smoke test."""

    n_lenses: int = 20
    n_others: int = 500
    n_test_lenses: int = 100
    n_test_others: int = 500
    simulated_size: int = 100
    crop_size: int = 40
    n_copies: int = 25
    shift: int = 10
    filter_scale: float = 0.25
    epochs: int = 40
    batch_size: int = 32
    patience: int = 5
    tsne_images: int = 600

    @classmethod
    def fast(cls) -> DemoSettings:
        """Return tiny settings that run in seconds (for tests)."""
        return cls(n_lenses=10, n_others=40, n_test_lenses=10, n_test_others=30,
                   simulated_size=32, crop_size=24, n_copies=3, shift=2, filter_scale=0.0625,
                   epochs=1, batch_size=16, patience=0, tsne_images=40)


def run_demo(args: argparse.Namespace) -> int:
    """Run ``skbia demo`` (see ``skbia demo --help``).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command-line arguments.

    Returns
    -------
    status : int
        0 on success.
    """
    settings = DemoSettings.fast() if args.fast else DemoSettings()
    epochs = settings.epochs if args.epochs is None else args.epochs
    if epochs < 1:
        raise ValueError(f"--epochs must be at least 1; got {epochs}.")
    seed = args.random_state
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)

    import matplotlib

    matplotlib.use("Agg")
    from sklearn.model_selection import train_test_split

    from skbia.datasets import make_lenses
    from skbia.evaluation import evaluate_scores, format_metrics
    from skbia.plotting import plot_history, plot_images, plot_roc_pr, plot_tsne

    with Timer(f"simulating {settings.n_lenses} lenses + {settings.n_others} others "
               f"(training) and {settings.n_test_lenses} + {settings.n_test_others} (test), "
               f"{settings.simulated_size}x{settings.simulated_size} px, g/r/i"):
        X, y = make_lenses(settings.n_lenses, settings.n_others,
                           image_size=settings.simulated_size, random_state=seed)
        X_test, y_test = make_lenses(settings.n_test_lenses, settings.n_test_others,
                                     image_size=settings.simulated_size, random_state=seed + 1)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, stratify=y,
                                                      random_state=seed)
    print(f"  training {int(y_train.sum())} lenses + {int((y_train == 0).sum())} others, "
          f"validation {int(y_val.sum())} + {int((y_val == 0).sum())}, "
          f"test {int(y_test.sum())} + {int((y_test == 0).sum())}")
    _save(plot_images(_examples(X_train, y_train, 8), ["lens"] * 8 + ["other"] * 8,
                      title="Simulated training images (top: lenses, bottom: others)", ncols=8),
          output / "sample_images.png")

    pipeline = _make_pipeline(settings, epochs, seed, X_val, y_val, verbose=0 if args.quiet else 2)
    augmenter = pipeline.steps[0][1]
    _save(_augmentation_figure(augmenter, X_train, y_train, settings.n_copies),
          output / "augmented_lenses.png")
    y_aug = augmenter.fit_resample(X_train, y_train)[1]
    print(f"  augmentation: {int(y_aug.sum())} lenses + {int((y_aug == 0).sum())} others "
          "for training (the validation and test sets are not augmented)")

    with Timer(f"training CNNClassifier (AlexNet, filter_scale={settings.filter_scale}, "
               f"{settings.crop_size} px crop, up to {epochs} epochs)"):
        pipeline.fit(X_train, y_train)
    classifier = pipeline.steps[-1][1].set_params(verbose=0)  # no progress bars when scoring

    scores = classifier.predict_proba(X_test)[:, 1]
    metrics = evaluate_scores(y_test, scores)
    table = format_metrics(metrics, title="Test set (separate simulation, not augmented)")
    print(table)
    (output / "metrics.txt").write_text(table + "\n", encoding="utf-8")
    (output / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")

    model_path = output / "model.keras"
    classifier.save(model_path)
    _save(plot_history(classifier, title=f"Training history (validation: {int(y_val.sum())} "
                       f"lenses + {int((y_val == 0).sum())} others held out, not augmented)"),
          output / "training_history.png")
    _save(plot_roc_pr(y_test, scores, name="CNNClassifier",
                      title=f"Test set: {int(y_test.sum())} lenses, "
                            f"{int((y_test == 0).sum())} others"),
          output / "roc_pr_curves.png")
    n_tsne = min(settings.tsne_images, len(y_test))
    _save(plot_tsne(classifier, X_test[:n_tsne], y_test[:n_tsne],
                    class_names={1: "lens", 0: "other"}, random_state=seed,
                    title="t-SNE of the test set's penultimate-layer features"),
          output / "tsne.png")
    print(f"model, metrics and plots saved in {output}/:")
    for path in sorted(output.iterdir()):
        print(f"  {path.name}")
    print(f"score new images with: skbia predict {model_path} images.npy -o scores.csv")
    return 0


def _make_pipeline(settings: DemoSettings, epochs: int, seed: int, X_val, y_val, verbose: int):
    from imblearn.pipeline import make_pipeline

    from skbia import CNNClassifier, ImageAugmenter

    augmenter = ImageAugmenter(
        n_copies=settings.n_copies, shift=settings.shift, horizontal=True, vertical=True,
        rotation=True, zoom_range=(0.9, 1.1), mask_size=5, num_masks=5,
        n_copies_other=1, random_state=seed,
    )
    classifier = CNNClassifier(
        arch="alexnet", filter_scale=settings.filter_scale, image_size=settings.crop_size,
        normalize=True, min_pixel=0.0, max_pixel=[100.0, 100.0, 100.0],
        epochs=epochs, batch_size=settings.batch_size,
        # early stopping on the training loss: with 4 validation lenses, val_loss is too noisy
        patience=settings.patience, monitor="loss",
        validation_data=(X_val, y_val), random_state=seed, verbose=verbose,
    )
    return make_pipeline(augmenter, classifier)


def _augmentation_figure(augmenter, X: np.ndarray, y: np.ndarray, n_copies: int):
    """Two rows: a lens, then (up to) seven of its augmented copies."""
    from sklearn.base import clone

    from skbia.plotting import plot_images

    one_lens = clone(augmenter).set_params(balance=False, n_copies_other=0, positive_label=1)
    panels, titles = [], []
    other = X[y == 0][:1]
    n_shown = min(7, n_copies)
    for lens in X[y == 1][:2]:
        X_aug, _ = one_lens.fit_resample(np.concatenate([lens[None], other]), np.array([1, 0]))
        panels += [lens, *X_aug[2:2 + n_shown]]  # originals first, then the lens's copies
        titles += ["original", *(f"copy {k}" for k in range(1, n_shown + 1))]
    return plot_images(np.stack(panels), titles, ncols=n_shown + 1,
                       title=f"Augmentation of two lenses ({n_copies} copies of each in training: "
                             "shifts, flips, rotations, zoom, cutouts)")


def _examples(X: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Return the first ``n`` lenses followed by the first ``n`` others."""
    return np.concatenate([X[y == 1][:n], X[y == 0][:n]])


def _save(fig, path: Path) -> None:
    fig.savefig(path, dpi=110)
