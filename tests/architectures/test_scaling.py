import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skbia.architectures.layers import (  # noqa: E402
    SCALINGS,
    AsinhStretch,
    MinMaxScaling,
    SqrtStretch,
    build_preprocessing,
)

STRETCHES = [AsinhStretch, SqrtStretch]


def _apply(layer, x):
    return np.asarray(layer(np.asarray(x, dtype="float32")))


def _asinh_reference(x, softening, factor=1.0, normalizer=1.0):
    return np.arcsinh(x / (factor * np.asarray(softening))) / normalizer


def _sqrt_reference(x, softening, factor=1.0, normalizer=1.0):
    s = factor * np.asarray(softening)
    return 2 * np.sign(x) * (np.sqrt(1 + np.abs(x) / s) - 1) / normalizer


@pytest.mark.parametrize(
    ("layer_class", "reference"), [(AsinhStretch, _asinh_reference), (SqrtStretch, _sqrt_reference)]
)
def test_stretch_matches_formula_per_band(layer_class, reference):
    x = np.random.default_rng(0).normal(0, 200, size=(2, 5, 5, 3)).astype("float32")
    softening = [0.5, 2.0, 30.0]
    out = _apply(layer_class(softening=softening, factor=2.0, normalizer=3.0), x)
    assert out.shape == x.shape
    np.testing.assert_allclose(out, reference(x, softening, 2.0, 3.0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer_class", STRETCHES)
def test_stretch_is_strictly_monotonic_and_finite_for_negative_and_zero(layer_class):
    x = np.concatenate([-np.logspace(6, -6, 200), [0.0], np.logspace(-6, 6, 200)])
    out = _apply(layer_class(softening=1.0), x.reshape(1, 1, -1, 1)).ravel()
    assert np.all(np.isfinite(out))
    assert np.all(np.diff(out) > 0)
    assert out[200] == 0.0  # zero stays zero
    np.testing.assert_allclose(out[:200], -out[201:][::-1], rtol=1e-6)  # odd function


@pytest.mark.parametrize("layer_class", STRETCHES)
def test_stretch_softening_is_applied_band_by_band(layer_class):
    # the same pixel value in two bands with softenings 0.1 and 100: the band with the
    # larger softening stays in the linear regime, the other is compressed
    x = np.full((1, 2, 2, 2), 10.0, dtype="float32")
    out = _apply(layer_class(softening=[0.1, 100.0]), x)
    assert out[..., 0].min() > 5 * out[..., 1].max()
    np.testing.assert_allclose(out[..., 1], 0.1, rtol=0.03)  # ~ x / s for |x| << s
    # scaling the input and the softening together leaves the output unchanged
    scaled = _apply(layer_class(softening=[1.0, 1000.0]), x * 10)
    np.testing.assert_allclose(scaled, out, rtol=1e-5)


def test_asinh_keeps_an_arc_visible_next_to_a_bright_core():
    # noise sigma = 1, arc at 5 sigma, core at 5000 sigma
    x = np.array([[[[1.0], [5.0], [5000.0]]]], dtype="float32")
    linear = _apply(MinMaxScaling(min_pixel=0, max_pixel=5000), x).ravel()
    stretched = _apply(AsinhStretch(softening=1.0), x).ravel()
    assert linear[1] / linear[2] == pytest.approx(1e-3)
    assert stretched[1] / stretched[2] > 0.2


@pytest.mark.parametrize("layer_class", STRETCHES)
def test_stretch_config_round_trip(layer_class):
    layer = layer_class(softening=[0.1, 0.2, 0.3], factor=2.5, normalizer=4.0, name="stretch")
    config = layer.get_config()
    assert config["softening"] == [0.1, 0.2, 0.3]
    assert (config["factor"], config["normalizer"]) == (2.5, 4.0)
    clone = layer_class.from_config(config)
    assert clone.get_config() == config
    x = np.random.default_rng(1).normal(0, 5, size=(2, 3, 3, 3))
    np.testing.assert_array_equal(_apply(clone, x), _apply(layer, x))
    generic = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(generic) is layer_class and generic.get_config() == config


@pytest.mark.parametrize(("layer_class", "name"), [(AsinhStretch, "asinh"), (SqrtStretch, "sqrt")])
def test_stretch_registered_under_skbia(layer_class, name):
    assert keras.saving.get_registered_object(f"skbia>{layer_class.__name__}") is layer_class


@pytest.mark.parametrize("scaling", ["asinh", "sqrt"])
def test_saved_model_with_stretch_predicts_identically_in_safe_mode(tmp_path, scaling):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((12, 12, 3))
    x = build_preprocessing(inputs, image_size=10, scaling=scaling, softening=[0.5, 1.5, 4.0])
    x = keras.layers.Conv2D(4, 3, padding="same")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    path = tmp_path / f"{scaling}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x_test = np.random.default_rng(2).normal(0, 100, size=(4, 12, 12, 3)).astype("float32")
    to_numpy = keras.ops.convert_to_numpy  # also detaches PyTorch tensors
    np.testing.assert_array_equal(to_numpy(model(x_test)), to_numpy(loaded(x_test)))
    layer = loaded.get_layer(f"{scaling}_stretch")
    assert layer.get_config()["softening"] == [0.5, 1.5, 4.0]
    assert not any(type(la).__name__ == "Lambda" for la in loaded.layers)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"softening": 0.0}, "softening must be finite and positive"),
        ({"softening": [1.0, -2.0]}, "softening must be finite and positive"),
        ({"softening": [1.0, np.inf]}, "softening must be finite and positive"),
        ({"softening": "sky"}, "softening must be a number"),
        ({"softening": [[1.0, 2.0]]}, "1-d sequence"),
        ({"factor": 0}, "factor must be a finite positive number"),
        ({"factor": True}, "factor must be a finite positive number"),
        ({"normalizer": np.nan}, "normalizer must be a finite positive number"),
    ],
)
@pytest.mark.parametrize("layer_class", STRETCHES)
def test_stretch_bad_parameters(layer_class, kwargs, match):
    with pytest.raises(ValueError, match=match):
        layer_class(**kwargs)


@pytest.mark.parametrize("layer_class", STRETCHES)
def test_stretch_wrong_band_count_raises_at_build(layer_class):
    with pytest.raises(ValueError, match="softening has 2 values but the images have 3"):
        layer_class(softening=[1.0, 2.0])(keras.Input((4, 4, 3)))


def test_build_preprocessing_default_is_still_min_max():
    inputs = keras.Input((6, 6, 2))
    model = keras.Model(inputs, build_preprocessing(inputs, min_pixel=0, max_pixel=[10, 20]))
    assert [layer.name for layer in model.layers[1:]] == ["min_max_scaling"]
    x = np.random.default_rng(0).uniform(-5, 25, size=(2, 6, 6, 2)).astype("float32")
    expected = np.clip(x, 0, [10, 20]) / np.array([10, 20])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    ("scaling", "layer_class", "name"),
    [("asinh", AsinhStretch, "asinh_stretch"), ("sqrt", SqrtStretch, "sqrt_stretch")],
)
def test_build_preprocessing_stretch(scaling, layer_class, name):
    inputs = keras.Input((8, 8, 2))
    outputs = build_preprocessing(inputs, image_size=4, scaling=scaling, softening=[2.0, 3.0])
    model = keras.Model(inputs, outputs)
    assert [layer.name for layer in model.layers[1:]] == ["center_crop", name]
    assert type(model.get_layer(name)) is layer_class
    x = np.random.default_rng(0).normal(0, 30, size=(2, 8, 8, 2)).astype("float32")
    expected = _apply(layer_class(softening=[2.0, 3.0]), x[:, 2:6, 2:6, :])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), expected, rtol=1e-6)


def test_build_preprocessing_none_and_normalize_false_add_no_scaling():
    inputs = keras.Input((8, 8, 3))
    assert build_preprocessing(inputs, scaling="none") is inputs
    assert build_preprocessing(inputs, normalize=False, scaling="none") is inputs
    assert build_preprocessing(inputs, normalize=False) is inputs
    # softening is ignored by scalings that do not use it
    assert build_preprocessing(inputs, scaling="none", softening=[1.0, 2.0, 3.0]) is inputs
    assert set(SCALINGS) == {"minmax", "asinh", "sqrt", "none"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scaling": "log"}, r"scaling must be one of \('minmax', 'asinh', 'sqrt', 'none'\)"),
        ({"scaling": None}, "scaling must be one of"),
        ({"scaling": "asinh"}, "needs softening"),
        ({"scaling": "sqrt", "softening": None}, "needs softening"),
        ({"scaling": "asinh", "softening": 1.0, "normalize": False}, "normalize=False"),
        ({"scaling": "asinh", "softening": -1.0}, "softening must be finite and positive"),
        ({"scaling": "sqrt", "softening": [1.0, 2.0]}, "softening has 2 values"),
    ],
)
def test_build_preprocessing_bad_scaling(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_preprocessing(keras.Input((8, 8, 3)), **kwargs)
