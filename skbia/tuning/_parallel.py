"""Parallel trials without oversubscribing the CPU.

joblib's process backend (loky) limits the thread pools of OpenMP, BLAS and
friends in its workers to ``cpu_count() // n_jobs`` through environment
variables set when the workers start, but it does not know TensorFlow, whose
own pools default to one thread per core. TensorFlow reads
``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS`` once, when its
runtime starts, so the variables must already be set when a worker process is
spawned. The backend below adds them to loky's list. loky starts its workers
with fork+exec (never a bare fork), so a parent that already imported
TensorFlow does not deadlock its workers.

The other Keras backends: PyTorch sizes its CPU pool from ``OMP_NUM_THREADS``
(already in loky's list); JAX's XLA CPU runtime reads no thread-count
variable, but a one-thread worker gets ``XLA_FLAGS`` that switch off its
multi-threaded Eigen kernels (appended to any ``XLA_FLAGS`` of the parent).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from joblib import parallel_config
from joblib._parallel_backends import LokyBackend
from joblib.parallel import get_active_backend

from skbia.utils import is_integer

TF_THREAD_VARS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
#: XLA (JAX) options for a single-threaded CPU runtime.
XLA_ONE_THREAD_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _with_one_thread_xla(env: dict[str, str]) -> dict[str, str]:
    """Add the one-thread XLA flags to ``env`` when its thread cap is 1."""
    if env.get("OMP_NUM_THREADS") != "1":
        return env
    existing = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" in existing:  # the user chose already
        return env
    return {**env, "XLA_FLAGS": f"{existing} {XLA_ONE_THREAD_FLAGS}".strip()}


class _TensorFlowLokyBackend(LokyBackend):
    """loky backend that also limits TensorFlow's (and XLA's) thread pools in its workers."""

    MAX_NUM_THREADS_VARS = [*LokyBackend.MAX_NUM_THREADS_VARS, *TF_THREAD_VARS]

    def _prepare_worker_env(self, n_jobs: int) -> dict[str, str]:
        return _with_one_thread_xla(super()._prepare_worker_env(n_jobs))


def tensorflow_thread_env(n_threads: int = 1) -> dict[str, str]:
    """Environment variables that cap the Keras backends' and BLAS' threads in a worker.

    Use it for worker processes that skbia does not start itself, e.g. a
    ``dask.distributed`` cluster: ``LocalCluster(..., env=tensorflow_thread_env(1))``.

    Parameters
    ----------
    n_threads : int, default=1
        Threads per worker process (TensorFlow's intra-op and inter-op pools,
        OpenMP, which PyTorch follows, and BLAS). With 1, ``XLA_FLAGS`` also
        switches JAX's CPU runtime to one thread (XLA has no thread-count
        setting for other values); ``XLA_FLAGS`` already in this process's
        environment are kept in front.

    Returns
    -------
    env : dict of str to str
        Variable name -> value, to put into the workers' environment before
        they import the Keras backend.

    Raises
    ------
    ValueError
        If ``n_threads`` is not an integer >= 1 (booleans, floats and strings
        included).
    """
    if not is_integer(n_threads) or n_threads < 1:
        raise ValueError(f"n_threads must be an integer >= 1; got {n_threads!r}.")
    names = [*TF_THREAD_VARS, "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]
    return _with_one_thread_xla({name: str(int(n_threads)) for name in names})


@contextlib.contextmanager
def _tensorflow_aware_backend() -> Iterator[None]:
    """Swap joblib's default loky backend for one that limits TensorFlow threads.

    Any other active backend (threading, dask, a user's own) is left alone.
    """
    backend, _ = get_active_backend()
    if type(backend) is not LokyBackend:
        yield
        return
    replacement = _TensorFlowLokyBackend(
        inner_max_num_threads=getattr(backend, "inner_max_num_threads", None)
    )
    with parallel_config(backend=replacement):
        yield
