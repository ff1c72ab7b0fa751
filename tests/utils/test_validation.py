import numpy as np
import pytest

from skbia.utils._validation import check_images, check_labels


def test_three_d_input_gets_channel_axis():
    out = check_images(np.zeros((4, 8, 9)))
    assert out.shape == (4, 8, 9, 1)
    assert out.dtype == np.float32


@pytest.mark.parametrize("dtype", [">f4", "<f8", "int16", "uint8", ">i2"])
def test_any_real_dtype_becomes_native_float32_with_same_values(dtype):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 100, size=(3, 5, 5, 2)).astype(dtype)
    out = check_images(X)
    assert out.dtype == np.dtype(np.float32) and out.dtype.isnative
    np.testing.assert_array_equal(out, X.astype(np.float64))


@pytest.mark.parametrize("shape", [(5,), (5, 4), (1, 2, 3, 4, 5)])
def test_wrong_ndim_raises(shape):
    with pytest.raises(ValueError, match="ndim="):
        check_images(np.zeros(shape))


def test_empty_raises():
    with pytest.raises(ValueError, match="no images"):
        check_images(np.zeros((0, 8, 8, 3)))


def test_non_numeric_raises():
    with pytest.raises(TypeError, match="numeric"):
        check_images(np.full((2, 3, 3), "a"))


def test_nan_names_images_and_leaves_input_alone():
    X = np.ones((6, 4, 4, 2), dtype=np.float32)
    X[1, 0, 0, 0] = np.nan
    X[4, 2, 1, 1] = np.inf
    with pytest.raises(ValueError, match=r"2 of 6 images, at indices \[1, 4\]"):
        check_images(X)
    filled = check_images(X, fill_value=-1.0)
    assert filled[1, 0, 0, 0] == -1.0 and filled[4, 2, 1, 1] == -1.0
    assert np.isnan(X[1, 0, 0, 0]), "the caller's array must not be modified"


def test_channel_mismatch_and_min_size():
    X = np.zeros((2, 10, 12, 3))
    with pytest.raises(ValueError, match="3 channel"):
        check_images(X, n_channels=1)
    with pytest.raises(ValueError, match="smaller than image_size=11"):
        check_images(X, min_size=11)
    assert check_images(X, min_size=10).shape == (2, 10, 12, 3)


def test_labels():
    assert check_labels(["a", "b", "a"], 3).tolist() == ["a", "b", "a"]
    with pytest.raises(ValueError, match="1 class"):
        check_labels([1, 1, 1], 3)
    with pytest.raises(ValueError, match="inconsistent lengths"):
        check_labels([0, 1], 3)
    with pytest.raises(ValueError, match="1-d"):
        check_labels(np.zeros((3, 2)), 3)
