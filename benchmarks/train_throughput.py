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
matmul rate (``tf.matmul`` of 2048x2048 matrices).

Usage::

    python benchmarks/train_throughput.py                 # alexnet and vgg16
    python benchmarks/train_throughput.py --archs alexnet --jit on off --images 512
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
import tensorflow as tf  # noqa: E402

from skbia.architectures import get_architecture  # noqa: E402
from skbia.architectures.layers import build_preprocessing  # noqa: E402

RAW_SIZE, IMAGE_SIZE, CHANNELS, BATCH = 100, 67, 3, 32


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    """Best-of-``repeats`` float32 matmul rate in GFLOP/s."""
    a = tf.random.uniform((n, n), dtype=tf.float32)
    b = tf.random.uniform((n, n), dtype=tf.float32)
    matmul = tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y)))
    matmul(a, b).numpy()  # warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


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
    model: keras.Model, n_images: int, repeats: int, jit: str
) -> tuple[float, float, bool]:
    """Return (warm-up epoch seconds, best timed epoch seconds, whether XLA was used)."""
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
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    warmup = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        best = min(best, time.perf_counter() - start)
    return warmup, best, bool(model.jit_compile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=["alexnet", "vgg16"])
    parser.add_argument("--images", type=int, default=None,
                        help="images per epoch (default: 640 for alexnet, 128 for others)")
    parser.add_argument("--repeats", type=int, default=2, help="timed epochs (best is kept)")
    parser.add_argument("--jit", nargs="+", default=["auto"], choices=["auto", "on", "off"])
    parser.add_argument("--regularizer", default="batch_norm",
                        choices=["batch_norm", "local_response", "none"])
    args = parser.parse_args()
    regularizer = None if args.regularizer == "none" else args.regularizer

    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"devices: {[d.device_type for d in tf.config.list_logical_devices()]}, "
          f"intra-op threads: {tf.config.threading.get_intra_op_parallelism_threads() or 'auto'}, "
          f"os.cpu_count()={os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    peak = matmul_gflops()
    print(f"float32 matmul 2048x2048: {peak:.1f} GFLOP/s (best of 10)\n")
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
            warmup, epoch, xla = time_training(model, n_images, args.repeats, jit)
            rate = n_images / epoch
            gflops = rate * train_flops / 1e9
            jit_label = f"{jit}({'xla' if xla else 'no'})"
            print(f"{arch:<9}{'100->67x67x3':>14}{str(regularizer):>16}{jit_label:>10}{n_images:>8}"
                  f"{train_flops / 1e9:>17.3f}{warmup:>11.2f}{epoch:>9.2f}{rate:>10.1f}"
                  f"{gflops:>9.1f}{100 * gflops / peak:>9.1f}%")
            keras.backend.clear_session()
    print(f"\nload average after run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
