"""Thread caps for worker processes on every Keras backend."""

from __future__ import annotations

import pytest

from skbia.tuning import tensorflow_thread_env
from skbia.tuning._parallel import XLA_ONE_THREAD_FLAGS, _TensorFlowLokyBackend


@pytest.fixture(autouse=True)
def _no_parent_xla_flags(monkeypatch):
    monkeypatch.delenv("XLA_FLAGS", raising=False)


def test_one_thread_env_caps_every_backend():
    env = tensorflow_thread_env(1)
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS",
                 "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        assert env[name] == "1"
    assert env["XLA_FLAGS"] == XLA_ONE_THREAD_FLAGS


def test_several_threads_leave_xla_alone():
    env = tensorflow_thread_env(3)
    assert env["OMP_NUM_THREADS"] == "3"
    assert "XLA_FLAGS" not in env


def test_parent_xla_flags_are_kept_in_front(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
    assert tensorflow_thread_env(1)["XLA_FLAGS"] == (
        f"--xla_force_host_platform_device_count=2 {XLA_ONE_THREAD_FLAGS}")


def test_a_users_own_eigen_choice_is_not_overridden(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")
    assert "XLA_FLAGS" not in tensorflow_thread_env(1)


def test_loky_workers_with_one_thread_get_the_xla_flags():
    one = _TensorFlowLokyBackend(inner_max_num_threads=1)._prepare_worker_env(2)
    assert one["TF_NUM_INTRAOP_THREADS"] == "1"
    assert one["XLA_FLAGS"] == XLA_ONE_THREAD_FLAGS
    two = _TensorFlowLokyBackend(inner_max_num_threads=2)._prepare_worker_env(2)
    assert two["TF_NUM_INTRAOP_THREADS"] == "2"
    assert "XLA_FLAGS" not in two
