"""Failed lens-finder fits and batch-norm statistics: inference mode vs batch statistics.

For each seed, train one network of the lens-finder recipe *without* the
recalibration (``recalibrate_batch_norm=False``, no training-set check) on 20
lenses + 500 others of the lenstronomy simulator (LSST-like camera), then
report the ROC AUC on its own un-augmented training images and on a separate
test set (200 + 1000, ``random_state=seed + 1000``), one view each:

* ``inference``: the network as Keras leaves it (moving batch-norm statistics);
* ``batch stats``: the training images in shuffled batches of 64 in training
  mode (each batch normalized by its own statistics; dropout active);
* ``recal online``: after :func:`skbia.classifier._batch_norm.recalibrate_batch_norm`
  on one more epoch of the recipe's online-augmented, balanced batches (what
  ``recalibrate_batch_norm=True`` does);
* ``recal plain``: after recalibrating on the un-augmented training images.

A network whose inference-mode training AUC is far below its batch-statistics
AUC predicts with statistics that do not belong to its final weights.

Usage::

    python benchmarks/batch_norm_recalibration.py --seeds 0 1 2 3 --crop 40
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--crop", type=int, default=40, help="image_size of the network")
    parser.add_argument("--survey", default="lsst-like")
    args = parser.parse_args(argv)

    import keras
    from _lenstronomy_sim import simulate
    from sklearn.metrics import roc_auc_score

    from skbia import make_lens_finder
    from skbia.classifier._batch_norm import recalibrate_batch_norm

    print("| seed | fit s | train AUC inference | train AUC batch stats | test AUC inference "
          "| train / test AUC recal online | train / test AUC recal plain |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for seed in args.seeds:
        X, y, _ = simulate(20, 500, survey=args.survey, random_state=seed)
        X_test, y_test, _ = simulate(200, 1000, survey=args.survey, random_state=seed + 1000)
        clf = make_lens_finder(n_members=1, image_size=args.crop, min_training_auc=None,
                               recalibrate_batch_norm=False, random_state=seed, verbose=0)
        start = time.perf_counter()
        clf.fit(X, y)
        fit_s = time.perf_counter() - start
        model = clf.model_

        def single(images, model=model):
            return np.concatenate([
                keras.ops.convert_to_numpy(model(images[i:i + 128], training=False))[:, -1]
                for i in range(0, len(images), 128)])

        order = np.random.default_rng(0).permutation(len(X))
        batch_stats = np.empty(len(X))
        for start in range(0, len(X), 64):
            index = order[start:start + 64]
            batch_stats[index] = keras.ops.convert_to_numpy(model(X[index], training=True))[:, -1]
        row = [roc_auc_score(y, single(X)), roc_auc_score(y, batch_stats),
               roc_auc_score(y_test, single(X_test))]
        dataset = clf._online_dataset(X, np.searchsorted(clf.classes_, y), None, 10_000)
        recalibrate_batch_norm(model, (dataset.get_batch(i, epoch=0)[0]
                                       for i in range(len(dataset))))
        online = (roc_auc_score(y, single(X)), roc_auc_score(y_test, single(X_test)))
        recalibrate_batch_norm(model, (X[order[i:i + 32]] for i in range(0, len(X), 32)))
        plain = (roc_auc_score(y, single(X)), roc_auc_score(y_test, single(X_test)))
        print(f"| {seed} | {fit_s:.0f} | {row[0]:.3f} | {row[1]:.3f} | {row[2]:.3f} | "
              f"{online[0]:.3f} / {online[1]:.3f} | {plain[0]:.3f} / {plain[1]:.3f} |",
              flush=True)
        keras.backend.clear_session()


if __name__ == "__main__":
    main()
