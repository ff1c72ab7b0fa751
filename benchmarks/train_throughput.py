"""Training throughput of the skbia architectures on this machine's CPU (or GPU).

For each architecture the model is built as the classifier builds it: raw
100x100x3 images in, centre crop to 67x67 and min-max scaling inside the model,
the architecture at full (default) size, one sigmoid output. It is trained
with SGD (momentum 0.9) and binary cross-entropy at batch size 32. One
warm-up epoch (graph tracing) is run first, then the best of ``--repeats``
timed epochs is reported as images/s.

Training FLOPs are counted analytically per image: a convolution costs
``2*Hout*Wout*k*k*Cin*Cout`` and a dense layer ``2*in*out`` forward; a
training step is taken as 3x the forward cost (forward + two backward
products). Pooling, normalization, activations and the optimizer update are
not counted. The achieved GFLOP/s is printed next to the measured float32
matmul rate (2048x2048 matrices, or ``--matmul-size``) of the same backend.

The script runs on whichever Keras backend ``KERAS_BACKEND`` selects
(TensorFlow by default, as skbia uses; ``jax`` or ``torch`` give GPU numbers on
machines with those frameworks but no TensorFlow GPU build).

With ``--through-classifier`` every architecture is also trained through
:class:`skbia.CNNClassifier` (same crop, scaling, optimizer, loss and batch;
the classifier adds its metrics, callbacks and checks) on the same images, and
the ratio of its images/s to the raw ``keras.Model.fit`` rate is printed
(target: >= 95% on every backend). The raw and classifier fits of that
comparison are timed alternately, so that both see the same load on a shared
machine; the classifier's timed epochs are ``warm_start`` fits of the
already-built model, so graph tracing is excluded as for the raw model.

Usage::

    python benchmarks/train_throughput.py                 # alexnet and vgg16
    python benchmarks/train_throughput.py --through-classifier --epochs-per-fit 3
    KERAS_BACKEND=jax python benchmarks/train_throughput.py --through-classifier
    python benchmarks/train_throughput.py --archs alexnet --jit on off --images 512
    KERAS_BACKEND=jax python benchmarks/train_throughput.py --images 8192 --batch 256
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

import keras  # noqa: E402
import numpy as np  # noqa: E402

from skbia.architectures import get_architecture  # noqa: E402
from skbia.architectures.layers import build_preprocessing  # noqa: E402

RAW_SIZE, IMAGE_SIZE, CHANNELS = 100, 67, 3
BACKEND = keras.backend.backend()


def _matmul_function():
    """Return (make operands, compiled sum-of-product function, to-host) for the backend."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        def make(n):
            return tf.random.uniform((n, n)), tf.random.uniform((n, n))

        return make, tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y))), np.asarray
    if BACKEND == "jax":
        import jax

        def make(n):
            keys = jax.random.split(jax.random.PRNGKey(0))
            return jax.random.uniform(keys[0], (n, n)), jax.random.uniform(keys[1], (n, n))

        return make, jax.jit(lambda x, y: (x @ y).sum()), np.asarray
    if BACKEND == "torch":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
        torch.backends.cuda.matmul.allow_tf32 = False  # true float32, like the other backends

        def make(n):
            return torch.rand(n, n, device=device), torch.rand(n, n, device=device)

        return make, lambda x, y: (x @ y).sum(), lambda t: t.item()
    raise SystemExit(f"unsupported Keras backend {BACKEND!r}")


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    """Best-of-``repeats`` float32 matmul rate in GFLOP/s on the backend's default device."""
    make, matmul, to_host = _matmul_function()
    a, b = make(n)
    to_host(matmul(a, b))  # warm up (tracing, compilation)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        to_host(matmul(a, b))
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def describe_backend() -> str:
    """One line naming the backend, its version and the devices it sees."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        devices = [d.device_type for d in tf.config.list_logical_devices()]
        threads = tf.config.threading.get_intra_op_parallelism_threads() or "auto"
        return f"TensorFlow {tf.__version__}, devices: {devices}, intra-op threads: {threads}"
    if BACKEND == "jax":
        import jax

        return f"JAX {jax.__version__}, devices: {[str(d) for d in jax.devices()]}"
    import torch

    name = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    return f"PyTorch {torch.__version__}, device: {name}"


def build_model(arch: str, regularizer: str | None) -> keras.Model:
    """Classifier-like model: crop + scaling, full-size architecture, sigmoid output."""
    inputs = keras.Input((RAW_SIZE, RAW_SIZE, CHANNELS))
    x = build_preprocessing(inputs, image_size=IMAGE_SIZE, normalize=True, min_pixel=0,
                            max_pixel=100)
    features = get_architecture(arch)(x, regularizer=regularizer)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(features)
    return keras.Model(inputs, outputs, name=arch)


def forward_flops(model: keras.Model) -> int:
    """Analytic forward FLOPs per image of the model's Conv2D and Dense layers."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, h_out, w_out, c_out = layer.output.shape
            c_in = layer.input.shape[-1]
            kh, kw = layer.kernel_size
            total += 2 * h_out * w_out * kh * kw * c_in * c_out
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * layer.input.shape[-1] * layer.units
    return total


def time_training(
    model: keras.Model, n_images: int, repeats: int, jit: str, batch: int, epochs: int = 1
) -> tuple[float, float, bool]:
    """Return (warm-up epoch seconds, best timed epoch seconds, whether XLA was used).

    Each timed fit runs ``epochs`` epochs; the epoch time is its mean over them.
    """
    jit_compile = {"auto": "auto", "on": True, "off": False}[jit]
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=1e-3, momentum=0.9),
        loss="binary_crossentropy",
        jit_compile=jit_compile,
    )
    rng = np.random.default_rng(0)
    x = (rng.random((n_images, RAW_SIZE, RAW_SIZE, CHANNELS), dtype=np.float32) * 100)
    y = (rng.random((n_images, 1)) < 0.5).astype(np.float32)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    warmup = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0)
        best = min(best, (time.perf_counter() - start) / epochs)
    return warmup, best, bool(model.jit_compile)


def compare_with_classifier(arch: str, regularizer: str | None, n_images: int, repeats: int,
                            batch: int, epochs: int = 1) -> tuple[float, float, float]:
    """Return (classifier's first fit s, best raw epoch s, best classifier epoch s).

    A raw Keras model and a :class:`skbia.CNNClassifier` of the same network
    are trained on the same images, their timed fits *interleaved* (raw,
    classifier, raw, ...) so that both see the same machine load. Each timed
    fit runs ``epochs`` epochs (the classifier's once-per-fit work - input
    checks, the divergence check on 64 images - is shared by them as in a real
    fit); the epoch time is the mean over them. The classifier's timed fits
    are ``warm_start`` fits of its already-built model, so graph tracing is
    excluded for both.
    """
    from skbia import CNNClassifier

    rng = np.random.default_rng(0)
    x = (rng.random((n_images, RAW_SIZE, RAW_SIZE, CHANNELS), dtype=np.float32) * 100)
    y = (rng.random(n_images) < 0.5).astype(int)
    keras.utils.set_random_seed(0)
    raw = build_model(arch, regularizer)
    raw.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3, momentum=0.9),
                loss="binary_crossentropy")
    y_raw = y.reshape(-1, 1).astype(np.float32)
    raw.fit(x, y_raw, batch_size=batch, epochs=1, verbose=0)
    clf = CNNClassifier(arch=arch, image_size=IMAGE_SIZE, min_pixel=0, max_pixel=100,
                        regularizer=regularizer, optimizer="sgd", momentum=0.9,
                        learning_rate=1e-3, batch_size=batch, epochs=1, verbose=0,
                        random_state=0)
    start = time.perf_counter()
    clf.fit(x, y)
    first = time.perf_counter() - start
    clf.set_params(warm_start=True, epochs=epochs)
    best_raw = best_clf = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        raw.fit(x, y_raw, batch_size=batch, epochs=epochs, verbose=0)
        best_raw = min(best_raw, (time.perf_counter() - start) / epochs)
        start = time.perf_counter()
        clf.fit(x, y)
        best_clf = min(best_clf, (time.perf_counter() - start) / epochs)
    return first, best_raw, best_clf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=["alexnet", "vgg16"])
    parser.add_argument("--images", type=int, default=None,
                        help="images per epoch (default: 640 for alexnet, 128 for others)")
    parser.add_argument("--repeats", type=int, default=2, help="timed epochs (best is kept)")
    parser.add_argument("--jit", nargs="+", default=["auto"], choices=["auto", "on", "off"])
    parser.add_argument("--batch", type=int, default=32, help="images per training step")
    parser.add_argument("--matmul-size", type=int, default=2048,
                        help="side of the square matrices of the reference matmul")
    parser.add_argument("--regularizer", default="batch_norm",
                        choices=["batch_norm", "local_response", "none"])
    parser.add_argument("--epochs-per-fit", type=int, default=1,
                        help="epochs of each timed fit (its mean epoch time is used; the "
                             "classifier's once-per-fit checks are shared by them)")
    parser.add_argument("--through-classifier", action="store_true",
                        help="also train through CNNClassifier.fit and print its rate as a "
                             "ratio of the raw Keras rate")
    args = parser.parse_args()
    regularizer = None if args.regularizer == "none" else args.regularizer

    print(f"Keras {keras.__version__} ({BACKEND}), {describe_backend()}, "
          f"os.cpu_count()={os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    n = args.matmul_size
    peak = matmul_gflops(n)
    print(f"float32 matmul {n}x{n}: {peak:.1f} GFLOP/s (best of 10); batch {args.batch}\n")
    header = (f"{'arch':<9}{'input':>14}{'reg':>16}{'jit':>10}{'images':>8}{'train GFLOP/img':>17}"
              f"{'warm-up s':>11}{'epoch s':>9}{'images/s':>10}{'GFLOP/s':>9}{'% matmul':>10}")
    print(header)
    print("-" * len(header))
    for arch in args.archs:
        n_images = args.images or (640 if arch == "alexnet" else 128)
        for jit in args.jit:
            keras.utils.set_random_seed(0)
            model = build_model(arch, regularizer)
            train_flops = 3 * forward_flops(model)
            warmup, epoch, xla = time_training(model, n_images, args.repeats, jit, args.batch,
                                                 args.epochs_per_fit)
            rate = n_images / epoch
            gflops = rate * train_flops / 1e9
            jit_label = f"{jit}({'xla' if xla else 'no'})"
            print(f"{arch:<9}{'100->67x67x3':>14}{str(regularizer):>16}{jit_label:>10}{n_images:>8}"
                  f"{train_flops / 1e9:>17.3f}{warmup:>11.2f}{epoch:>9.2f}{rate:>10.1f}"
                  f"{gflops:>9.1f}{100 * gflops / peak:>9.1f}%")
            keras.backend.clear_session()
            if args.through_classifier and jit == args.jit[0]:
                first, raw_epoch, clf_epoch = compare_with_classifier(
                    arch, regularizer, n_images, args.repeats, args.batch,
                    args.epochs_per_fit)
                raw_rate, clf_rate = n_images / raw_epoch, n_images / clf_epoch
                print(f"{'  interleaved: raw Keras':<39}{'':>10}{n_images:>8}{'':>17}{'':>11}"
                      f"{raw_epoch:>9.2f}{raw_rate:>10.1f}")
                print(f"{'  interleaved: CNNClassifier.fit':<39}{'':>10}{n_images:>8}{'':>17}"
                      f"{first:>11.2f}{clf_epoch:>9.2f}{clf_rate:>10.1f}   = "
                      f"{clf_rate / raw_rate:.1%} of raw Keras")
                keras.backend.clear_session()
    print(f"\nload average after run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
