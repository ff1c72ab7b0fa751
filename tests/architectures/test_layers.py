import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skbia.architectures.layers import (  # noqa: E402
    LocalResponseNormalization,
    MinMaxScaling,
    MinPooling2D,
    build_preprocessing,
)


def _rng_images(shape, seed=0, scale=50.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype("float32")


def _lrn_reference(x, depth_radius, bias, alpha, beta):
    out = np.empty_like(x)
    n_channels = x.shape[-1]
    for d in range(n_channels):
        lo, hi = max(0, d - depth_radius), min(n_channels, d + depth_radius + 1)
        sqr_sum = np.sum(x[..., lo:hi] ** 2, axis=-1)
        out[..., d] = x[..., d] / (bias + alpha * sqr_sum) ** beta
    return out


def _min_pool_reference(x, pool, stride):
    # "valid" padding reference
    n, h, w, c = x.shape
    out_h, out_w = (h - pool) // stride + 1, (w - pool) // stride + 1
    out = np.empty((n, out_h, out_w, c), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, i * stride : i * stride + pool, j * stride : j * stride + pool, :]
            out[:, i, j, :] = window.min(axis=(1, 2))
    return out


def test_min_max_scaling_per_band_matches_numpy():
    x = _rng_images((4, 6, 6, 3))
    low, high = [-10.0, 0.0, 5.0], [10.0, 50.0, 100.0]
    out = np.asarray(MinMaxScaling(min_pixel=low, max_pixel=high)(x))
    expected = (np.clip(x, low, high) - np.array(low)) / (np.array(high) - np.array(low))
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert out.min() >= 0.0 and out.max() <= 1.0
    # both ends are actually reached with this data (clipping happened)
    assert out.min() == 0.0 and out.max() == 1.0


def test_min_max_scaling_scalar_limits():
    x = _rng_images((2, 4, 4, 2))
    out = np.asarray(MinMaxScaling(min_pixel=0, max_pixel=100)(x))
    np.testing.assert_allclose(out, np.clip(x, 0, 100) / 100, rtol=1e-6, atol=1e-7)


def test_min_max_scaling_wrong_band_count_raises_at_build():
    layer = MinMaxScaling(min_pixel=0, max_pixel=[1.0, 2.0])
    with pytest.raises(ValueError, match="max_pixel has 2 values but the images have 3"):
        layer(np.zeros((1, 4, 4, 3), dtype="float32"))


@pytest.mark.parametrize(
    ("low", "high", "match"),
    [
        (5, 5, "greater than min_pixel"),
        (0, [1, -1, 2], "greater than min_pixel"),
        ([0, 1], [2, 3, 4], "same length"),
        (0, np.inf, "finite"),
        (0, "big", "number or a sequence"),
        (0, [[1, 2]], "1-d sequence"),
    ],
)
def test_min_max_scaling_bad_limits(low, high, match):
    with pytest.raises(ValueError, match=match):
        MinMaxScaling(min_pixel=low, max_pixel=high)


@pytest.mark.parametrize(("pool", "stride"), [(2, 2), (3, 2), (3, 1)])
def test_min_pooling_matches_numpy(pool, stride):
    x = _rng_images((2, 9, 9, 3))
    out = np.asarray(MinPooling2D(pool_size=pool, strides=stride, padding="valid")(x))
    np.testing.assert_array_equal(out, _min_pool_reference(x, pool, stride))


def test_min_pooling_same_padding_ignores_border():
    # all pixels positive: zero padding would leak zeros into the minimum
    x = np.abs(_rng_images((1, 5, 5, 2))) + 1.0
    out = np.asarray(MinPooling2D(pool_size=3, strides=2, padding="same")(x))
    assert out.shape == (1, 3, 3, 2)
    assert out.min() >= 1.0
    # "same": one padded row/col on each side, so windows start at -1, 1, 3
    np.testing.assert_array_equal(out[0, 0, 0], x[0, :2, :2].min(axis=(0, 1)))
    np.testing.assert_array_equal(out[0, 2, 2], x[0, 3:, 3:].min(axis=(0, 1)))


@pytest.mark.parametrize(
    "params",
    [
        {"depth_radius": 5, "bias": 2.0, "alpha": 1e-4, "beta": 0.75},
        {"depth_radius": 2, "bias": 1.0, "alpha": 0.3, "beta": 0.5},
        {"depth_radius": 0, "bias": 1.5, "alpha": 1.0, "beta": 1.0},
    ],
)
def test_lrn_matches_numpy_reference(params):
    x = _rng_images((2, 3, 3, 8), scale=3.0)
    out = np.asarray(LocalResponseNormalization(**params)(x))
    np.testing.assert_allclose(out, _lrn_reference(x.astype("float64"), **params), rtol=1e-5)


def test_lrn_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    x = _rng_images((2, 4, 4, 7), scale=3.0)
    params = {"depth_radius": 2, "bias": 1.5, "alpha": 0.2, "beta": 0.6}
    expected = tf.nn.local_response_normalization(x, **params).numpy()
    out = np.asarray(LocalResponseNormalization(**params)(x))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"depth_radius": -1}, "depth_radius"),
        ({"depth_radius": 1.5}, "depth_radius"),
        ({"bias": 0.0}, "bias"),
        ({"alpha": -1.0}, "alpha"),
        ({"beta": -0.5}, "beta"),
    ],
)
def test_lrn_bad_params(params, match):
    with pytest.raises(ValueError, match=match):
        LocalResponseNormalization(**params)


def test_build_preprocessing_crops_centre_and_scales():
    x = _rng_images((3, 10, 10, 2))
    inputs = keras.Input((10, 10, 2))
    outputs = build_preprocessing(
        inputs, image_size=6, normalize=True, min_pixel=[-20, 0], max_pixel=[20, 40]
    )
    model = keras.Model(inputs, outputs)
    out = keras.ops.convert_to_numpy(model(x))
    assert out.shape == (3, 6, 6, 2)
    crop = x[:, 2:8, 2:8, :]
    expected = (np.clip(crop, [-20, 0], [20, 40]) - [-20, 0]) / np.array([40, 40])
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert [layer.name for layer in model.layers[1:]] == ["center_crop", "min_max_scaling"]


def test_build_preprocessing_nothing_returns_input():
    inputs = keras.Input((8, 8, 3))
    assert build_preprocessing(inputs, image_size=None, normalize=False) is inputs


@pytest.mark.parametrize(
    ("image_size", "match"), [(12, "larger than the input"), (0, "positive"), ((4,), "pair")]
)
def test_build_preprocessing_bad_crop(image_size, match):
    with pytest.raises(ValueError, match=match):
        build_preprocessing(keras.Input((10, 10, 3)), image_size=image_size, normalize=False)


def test_saved_model_with_every_custom_layer_loads_in_safe_mode(tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((12, 12, 3))
    x = build_preprocessing(inputs, image_size=10, normalize=True, min_pixel=0, max_pixel=[5, 6, 7])
    x = keras.layers.Conv2D(4, 3, padding="same")(x)
    x = MinPooling2D(pool_size=2, strides=2, padding="same")(x)
    x = LocalResponseNormalization(depth_radius=1, bias=1.0, alpha=0.5, beta=0.75)(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x_test = np.abs(_rng_images((4, 12, 12, 3), scale=4.0))
    to_numpy = keras.ops.convert_to_numpy  # also detaches PyTorch tensors
    np.testing.assert_array_equal(to_numpy(model(x_test)), to_numpy(loaded(x_test)))
    config = loaded.get_layer("min_max_scaling").get_config()
    assert config["max_pixel"] == [5.0, 6.0, 7.0] and config["min_pixel"] == 0.0
    assert not any(type(layer).__name__ == "Lambda" for layer in loaded.layers)
