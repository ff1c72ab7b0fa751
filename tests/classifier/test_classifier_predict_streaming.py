"""predict_proba of a memory-mapped array (in chunks, never copied whole) and of a generator."""

from __future__ import annotations

import numpy as np
import pytest

from skbia import CNNClassifier
from skbia.classifier import _prediction


@pytest.fixture(scope="module")
def fitted(blobs):
    X, y = blobs
    model = CNNClassifier(arch="compact", filter_scale=1 / 32, epochs=1, random_state=0,
                          verbose=0)
    return model.fit(X, y)


def _spy(model, monkeypatch):
    sizes = []
    original = type(model)._predict_raw

    def recording(self, X, **kwargs):
        sizes.append(len(X))
        return original(self, X, **kwargs)

    monkeypatch.setattr(type(model), "_predict_raw", recording)
    return sizes


def test_a_memory_map_is_predicted_in_chunks(fitted, blobs, tmp_path, monkeypatch):
    X, _ = blobs
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    expected = fitted.predict_proba(X)
    per_image = 4 * 16 * 16 * 3
    monkeypatch.setattr(_prediction, "_STREAM_CHUNK_BYTES", 20 * per_image)
    sizes = _spy(fitted, monkeypatch)
    np.testing.assert_allclose(fitted.predict_proba(mapped), expected, rtol=1e-6, atol=1e-7)
    assert sizes == [20, 20, 10]
    np.testing.assert_array_equal(fitted.predict(mapped), fitted.classes_[expected.argmax(1)])
    assert not mapped.flags.writeable  # read, never written


def test_a_small_memory_map_and_an_array_are_predicted_at_once(fitted, blobs, tmp_path,
                                                                monkeypatch):
    X, _ = blobs
    np.save(tmp_path / "X.npy", X)
    sizes = _spy(fitted, monkeypatch)
    fitted.predict_proba(np.load(tmp_path / "X.npy", mmap_mode="r"))
    fitted.predict_proba(X)
    assert sizes == [50, 50]


def test_a_generator_of_chunks(fitted, blobs):
    X, _ = blobs
    chunks = (X[start:start + 15] for start in range(0, len(X), 15))
    np.testing.assert_allclose(fitted.predict_proba(chunks), fitted.predict_proba(X),
                               rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="yielded no chunks"):
        fitted.predict_proba(iter([]))
