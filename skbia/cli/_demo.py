"""``skbia demo``: a simulated strong-lens search from data to plots.

Simulates a training set like pyBIA's example (20 lens candidates, 500 other
objects, 100x100 pixels, g/r/i), trains the recommended lens finder
(:func:`skbia.make_lens_finder`: compact network, asinh stretch, fresh exact
symmetries and shifts of every training image in every epoch, lenses
oversampled, symmetry-averaged predictions) on all of it, and evaluates it on
a separate simulated test set, with the metrics lens searches use. Everything
it makes lands in one output folder, including the test set's highest-scoring
non-lenses and lowest-scoring lenses to look at.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skbia.cli._common import Timer
from skbia.cli._outputs import check_output_folder

# what skbia demo writes into its output folder
DEMO_OUTPUTS = ("model.keras", "metrics.txt", "metrics.json", "sample_images.png",
                "augmented_lenses.png", "injected_lenses.png", "training_history.png",
                "top_false_positives.png", "missed_lenses.png", "roc_pr_curves.png", "tsne.png")
# the camera of make_lenses' defaults, which the demo simulates: the recipe's crop comes from it
DEMO_PIXEL_SCALE = 0.263
DEMO_PSF_FWHM = (1.5, 1.55, 1.2)
DEMO_EINSTEIN_RADIUS = (1.0, 3.0)


@dataclass(frozen=True)
class DemoSettings:
    """Sizes of the demo; the defaults follow pyBIA's example, ``fast`` is a smoke test."""

    n_lenses: int = 20
    n_others: int = 500
    n_test_lenses: int = 100
    n_test_others: int = 500
    simulated_size: int = 100
    crop_size: int = 38  # lens_finder_image_size(0.263, (1, 3), (1.5, 1.55, 1.2))
    shift: int = 4
    filter_scale: float = 1.0
    epochs: int = 30
    batch_size: int = 32
    tsne_images: int = 600
    retries: int = 2

    @classmethod
    def fast(cls) -> DemoSettings:
        """Return tiny settings that run in seconds (for tests)."""
        return cls(n_lenses=10, n_others=40, n_test_lenses=10, n_test_others=30,
                   simulated_size=32, crop_size=24, shift=2, filter_scale=0.125,
                   epochs=1, batch_size=16, tsne_images=40, retries=0)


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
    output = check_output_folder(args.output, flag="--output", writes=DEMO_OUTPUTS,
                                 overwrite=args.overwrite)
    output.mkdir(exist_ok=True)

    import matplotlib

    matplotlib.use("Agg")
    from skbia.cli._fit import convergence_lines
    from skbia.datasets import make_lenses
    from skbia.evaluation import evaluate_scores, format_metrics
    from skbia.plotting import plot_history, plot_images, plot_roc_pr, plot_tsne

    with Timer(f"simulating {settings.n_lenses} lenses + {settings.n_others} others "
               f"(training) and {settings.n_test_lenses} + {settings.n_test_others} (test), "
               f"{settings.simulated_size}x{settings.simulated_size} px, g/r/i"):
        X, y = make_lenses(settings.n_lenses, settings.n_others,
                           image_size=settings.simulated_size, random_state=seed)
        X_test, y_test, test_meta = make_lenses(
            settings.n_test_lenses, settings.n_test_others, image_size=settings.simulated_size,
            random_state=seed + 1, return_metadata=True)
    print(f"  training {int(y.sum())} lenses + {int((y == 0).sum())} others, "
          f"test {int(y_test.sum())} + {int((y_test == 0).sum())}")
    classifier = _make_classifier(settings, epochs, seed, verbose=0 if args.quiet else 2)
    with Timer("plotting sample images and augmented views of two lenses"):
        _save(plot_images(_examples(X, y, 8), ["lens"] * 8 + ["other"] * 8,
                          title="Simulated training images (top: lenses, bottom: others)",
                          ncols=8),
              output / "sample_images.png")
        _save(_augmentation_figure(classifier.augmentation, X, y),
              output / "augmented_lenses.png")
    with Timer("painting synthetic lenses into 8 training non-lenses (what skbia fit "
               "--inject would add)"):
        _save(_injection_figure(X, y, seed), output / "injected_lenses.png")
    n_lenses = max(int(y.sum()), round(classifier.balance_ratio * int((y == 0).sum())))
    print(f"  online augmentation: every epoch serves {n_lenses} freshly transformed lenses "
          f"+ {int((y == 0).sum())} others (the test set is not augmented)")

    with Timer(f"training the recommended lens finder (compact network, asinh stretch, "
               f"{settings.crop_size} px crop, {epochs} epochs)"):
        classifier.fit(X, y)
    for line in convergence_lines(classifier):
        print(f"  {line}")
    classifier.set_params(verbose=0)  # no progress bars when scoring

    with Timer(f"scoring the {len(y_test)} test images"):
        scores = classifier.predict_proba(X_test)[:, 1]
    metrics = evaluate_scores(y_test, scores, prevalence=1e-3)
    table = format_metrics(metrics, title="Test set (separate simulation, not augmented)")
    print(table)
    (output / "metrics.txt").write_text(table + "\n", encoding="utf-8")
    (output / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")

    model_path = output / "model.keras"
    classifier.save(model_path)
    with Timer("plotting the training history, the top false positives, the missed lenses "
               "and ROC/PR curves"):
        _save(plot_history(classifier, title="Training history (fresh augmentation every epoch)"),
              output / "training_history.png")
        false_positives, missed = _ranking_figures(X_test, y_test, scores, test_meta)
        _save(false_positives, output / "top_false_positives.png")
        _save(missed, output / "missed_lenses.png")
        _save(plot_roc_pr(y_test, scores, name="CNNClassifier",
                          title=f"Test set: {int(y_test.sum())} lenses, "
                                f"{int((y_test == 0).sum())} others"),
              output / "roc_pr_curves.png")
    n_tsne = min(settings.tsne_images, len(y_test))
    with Timer(f"t-SNE map of {n_tsne} test images' penultimate-layer features"):
        _save(plot_tsne(classifier, X_test[:n_tsne], y_test[:n_tsne],
                        class_names={1: "lens", 0: "other"}, random_state=seed,
                        title="t-SNE of the test set's penultimate-layer features"),
              output / "tsne.png")
    print(f"model, metrics and plots saved in {output}/:")
    for path in sorted(output.iterdir()):
        print(f"  {path.name}")
    print(f"score new images with: skbia predict {model_path} images.npy -o scores.csv")
    return 0


def _make_classifier(settings: DemoSettings, epochs: int, seed: int, verbose: int):
    from skbia import make_lens_finder

    classifier = make_lens_finder(
        n_members=1, pixel_scale=DEMO_PIXEL_SCALE, einstein_radius=DEMO_EINSTEIN_RADIUS,
        psf_fwhm=list(DEMO_PSF_FWHM), random_state=seed, image_size=settings.crop_size,
        epochs=epochs, batch_size=settings.batch_size, filter_scale=settings.filter_scale,
        retries=settings.retries, verbose=verbose,
    )
    classifier.augmentation.set_params(shift=settings.shift)  # the recipe's, but the shift
    return classifier


def _augmentation_figure(augmenter, X: np.ndarray, y: np.ndarray):
    """Two rows: a lens, then seven views of it as training epochs draw them."""
    from sklearn.base import clone

    from skbia.plotting import plot_images

    n_shown = 7
    one_lens = clone(augmenter).set_params(
        n_copies=n_shown, n_copies_other=0, positive_label=1, random_state=0)
    panels, titles = [], []
    other = X[y == 0][:1]
    for lens in X[y == 1][:2]:
        X_aug, _ = one_lens.fit_resample(np.concatenate([lens[None], other]), np.array([1, 0]))
        panels += [lens, *X_aug[2:2 + n_shown]]  # originals first, then the lens's views
        titles += ["original", *(f"epoch view {k}" for k in range(1, n_shown + 1))]
    return plot_images(np.stack(panels), titles, ncols=n_shown + 1,
                       title="Online augmentation of two lenses: each epoch draws a fresh "
                             "exact rotation/flip and a small shift")


def _injection_figure(X: np.ndarray, y: np.ndarray, seed: int, n: int = 8):
    """Top row: training non-lenses; bottom row: the same images with an injected lens.

    The camera settings are those the simulator used (``make_lenses``'
    defaults), as a user would give their survey's.
    """
    from skbia.cli._inject import injection_figure
    from skbia.datasets import inject_lenses, select_hosts

    others = np.flatnonzero(y == 0)
    hosts = others[select_hosts(X[others], "bright_red_centre")][:n]
    half_side = X.shape[1] * 0.263 / 2
    injected, metadata = inject_lenses(
        X[hosts], pixel_scale=0.263, zero_point=30.0, psf_fwhm=[1.5, 1.55, 1.2], gain=30.0,
        einstein_radius=(min(1.0, half_side / 2), min(2.5, half_side * 0.8)),
        random_state=seed, return_metadata=True,
    )
    kept = hosts[np.asarray(metadata["host_index"], dtype=np.intp)]
    return injection_figure(
        X[kept], injected, metadata, n, host_index=kept, crop=48,
        title="Synthetic lenses painted into training non-lenses (skbia fit --inject): "
              "hosts (top), injected (bottom)",
    )


def _ranking_figures(X: np.ndarray, y: np.ndarray, scores: np.ndarray, metadata: dict,
                     n: int = 16):
    """Return two figures: the highest-scoring non-lenses and the lowest-scoring lenses.

    Each panel is titled with the image's rank among all test images and its
    score, and with the kind of object (non-lenses) or the Einstein radius
    (lenses).
    """
    from skbia.plotting import plot_images

    order = np.argsort(scores)[::-1]
    rank = np.empty(len(scores), dtype=int)
    rank[order] = np.arange(1, len(scores) + 1)
    others, lenses = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    worst_others = others[np.argsort(scores[others])[::-1][:min(n, len(others))]]
    missed = lenses[np.argsort(scores[lenses])[:min(n, len(lenses))]]
    kinds = np.asarray(metadata["kind"]).astype(str)
    radius = np.asarray(metadata["einstein_radius"], dtype=float)
    ncols = min(8, n)
    false_positives = plot_images(
        X[worst_others],
        [f"#{rank[i]} {kinds[i]}\nscore {scores[i]:.2f}" for i in worst_others],
        ncols=ncols,
        title=f"The {len(worst_others)} highest-scoring non-lenses of the test set (rank among "
              f"all {len(scores)} test images, kind of object, score)")
    missed_lenses = plot_images(
        X[missed],
        [f"#{rank[i]} \u03b8E {radius[i]:.1f}\"\nscore {scores[i]:.2f}" for i in missed],
        ncols=ncols,
        title=f"The {len(missed)} lowest-scoring lenses of the test set (rank, Einstein "
              "radius, score)")
    return false_positives, missed_lenses


def _examples(X: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Return the first ``n`` lenses followed by the first ``n`` others."""
    return np.concatenate([X[y == 1][:n], X[y == 0][:n]])


def _save(fig, path: Path) -> None:
    fig.savefig(path, dpi=110)
