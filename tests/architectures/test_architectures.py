import inspect

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skbia.architectures import (  # noqa: E402
    ARCHITECTURES,
    build_alexnet,
    build_compact,
    build_resnet18,
    build_vgg16,
    get_architecture,
)
from skbia.architectures.layers import (  # noqa: E402
    LocalResponseNormalization,
    MinPooling2D,
    build_preprocessing,
)

TINY = 1 / 16  # filter_scale giving 4-32 filters and 256 dense units


def _model(builder, input_shape=(32, 32, 3), **kwargs):
    inputs = keras.Input(input_shape)
    features = builder(inputs, **kwargs)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(features)
    return keras.Model(inputs, outputs)


def _layer_types(model):
    return [type(layer) for layer in model.layers]


def test_registry_and_lookup():
    assert set(ARCHITECTURES) == {"alexnet", "vgg16", "resnet18", "compact"}
    assert get_architecture("alexnet") is build_alexnet
    assert get_architecture("compact") is build_compact
    assert get_architecture("vgg16") is build_vgg16
    assert get_architecture("resnet18") is build_resnet18

    def custom(inputs, **kwargs):
        return keras.layers.Flatten()(inputs)

    assert get_architecture(custom) is custom


@pytest.mark.parametrize("arch", ["AlexNet", "resnet50", None])
def test_unknown_architecture(arch):
    with pytest.raises(
        ValueError, match="valid names are 'alexnet', 'vgg16', 'resnet18', 'compact'"
    ):
        get_architecture(arch)


@pytest.mark.parametrize("name", ["alexnet", "vgg16", "resnet18", "compact"])
def test_same_generic_keywords(name):
    generic = [
        "pooling",
        "regularizer",
        "conv_activation",
        "dense_activation",
        "conv_initializer",
        "dense_initializer",
        "dropout",
        "filter_scale",
    ]
    params = inspect.signature(ARCHITECTURES[name]).parameters
    assert list(params)[1 : 1 + len(generic)] == generic
    # every knob is keyword-only with a scalar default (tunable through model__<name>)
    for param in list(params.values())[1:]:
        assert param.kind is inspect.Parameter.KEYWORD_ONLY
        assert param.default is None or np.ndim(param.default) == 0


@pytest.mark.parametrize("name", ["alexnet", "vgg16", "resnet18", "compact"])
def test_builds_and_trains_one_epoch_on_tiny_images(name):
    keras.utils.set_random_seed(0)
    model = _model(ARCHITECTURES[name], filter_scale=TINY)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((8, 32, 32, 3), dtype="float32")
    y = (rng.random((8, 1)) < 0.5).astype("float32")
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    proba = np.asarray(model.predict(x, verbose=0))
    assert proba.shape == (8, 1) and np.all((proba >= 0) & (proba <= 1))


def test_alexnet_layout_and_default_sizes():
    model = _model(build_alexnet, input_shape=(67, 67, 3))
    assert [model.get_layer(f"conv_{i}").filters for i in range(1, 6)] == [96, 256, 384, 384, 256]
    assert [model.get_layer(f"conv_{i}").kernel_size for i in range(1, 6)] == [
        (11, 11),
        (5, 5),
        (3, 3),
        (3, 3),
        (3, 3),
    ]
    assert model.get_layer("conv_1").strides == (4, 4)
    assert model.get_layer("dense_1").units == model.get_layer("dense_2").units == 4096
    # 67 -> conv stride 4 -> 17 -> pool 2 -> 9 -> pool 2 -> 5 -> pool 2 -> 3
    assert model.get_layer("pool_5").output.shape[1:] == (3, 3, 256)
    assert model.get_layer("dense_2_dropout").rate == 0.5


def test_alexnet_per_layer_keywords_change_layers():
    model = _model(
        build_alexnet,
        filter_scale=1.0,
        filters_1=48,
        kernel_size_2=7,
        strides_1=2,
        pooling_2="min",
        pooling_5="average",
        pool_size_1=2,
        dense_units_1=10,
        dense_units_2=6,
    )
    assert model.get_layer("conv_1").filters == 48
    assert model.get_layer("conv_1").strides == (2, 2)
    assert model.get_layer("conv_2").kernel_size == (7, 7)
    assert isinstance(model.get_layer("pool_1"), keras.layers.MaxPooling2D)
    assert model.get_layer("pool_1").pool_size == (2, 2)
    assert isinstance(model.get_layer("pool_2"), MinPooling2D)
    assert isinstance(model.get_layer("pool_5"), keras.layers.AveragePooling2D)
    assert model.get_layer("dense_2").units == 6


def test_filter_scale_rounds_and_keeps_at_least_one():
    model = _model(build_alexnet, filter_scale=0.01)
    assert model.get_layer("conv_1").filters == 1  # round(0.96) = 1
    assert model.get_layer("conv_3").filters == 4  # round(3.84)
    assert model.get_layer("dense_1").units == 41  # round(40.96)
    model = _model(build_alexnet, filter_scale=0.001)
    assert model.get_layer("conv_1").filters == 1  # round(0.096) = 0 -> at least 1


@pytest.mark.parametrize("pooling", ["max", "average", "min"])
def test_generic_pooling_applies_everywhere(pooling):
    expected = {
        "max": keras.layers.MaxPooling2D,
        "average": keras.layers.AveragePooling2D,
        "min": MinPooling2D,
    }[pooling]
    model = _model(build_vgg16, filter_scale=TINY, pooling=pooling)
    pools = [model.get_layer(f"block{i}_pool") for i in range(1, 6)]
    assert all(type(layer) is expected for layer in pools)


@pytest.mark.parametrize("builder", [build_alexnet, build_vgg16, build_resnet18, build_compact])
def test_regularizer_choice(builder):
    bn = _layer_types(_model(builder, filter_scale=TINY, regularizer="batch_norm"))
    lrn = _layer_types(_model(builder, filter_scale=TINY, regularizer="local_response"))
    plain = _layer_types(_model(builder, filter_scale=TINY, regularizer=None))
    assert keras.layers.BatchNormalization in bn and LocalResponseNormalization not in bn
    assert LocalResponseNormalization in lrn and keras.layers.BatchNormalization not in lrn
    assert LocalResponseNormalization not in plain
    assert keras.layers.BatchNormalization not in plain


def test_vgg16_layout_and_keywords():
    model = _model(build_vgg16, filter_scale=TINY, filters_3=160, strides_2=2, pool_size_4=3)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 13
    assert [layer.filters for layer in convs] == [4, 4, 8, 8, 10, 10, 10, 32, 32, 32, 32, 32, 32]
    assert model.get_layer("block2_conv1").strides == (2, 2)
    assert model.get_layer("block2_conv2").strides == (1, 1)
    assert model.get_layer("block4_pool").pool_size == (3, 3)
    assert model.get_layer("dense_1").units == 256


def test_resnet18_layout_and_keywords():
    model = _model(build_resnet18, filter_scale=TINY)
    adds = [layer for layer in model.layers if isinstance(layer, keras.layers.Add)]
    assert len(adds) == 8  # 4 stages x 2 basic blocks
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 1 + 16 + 3  # stem, 2 per block, 3 projection shortcuts
    assert model.get_layer("stage5_block2_conv2").filters == 32
    # 32 -> stem stride 1 -> pool 2 -> 16 -> 16 -> 8 -> 4 -> 2
    assert model.get_layer("stage5_block2_out").output.shape[1:] == (2, 2, 32)
    assert model.layers[-2].name == "avg_pool"
    custom = _model(
        build_resnet18, filter_scale=TINY, filters_2=16, blocks_3=1, dense_units_1=64, dropout=0.2
    )
    assert custom.get_layer("stage2_block1_conv1").filters == 1
    assert custom.get_layer("dense_1").units == 4
    assert len([la for la in custom.layers if isinstance(la, keras.layers.Add)]) == 7
    assert custom.get_layer("dropout").rate == 0.2


def test_compact_layout_defaults_and_weight_count():
    model = _model(build_compact, input_shape=(64, 64, 3))
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.filters for layer in convs] == [16, 16, 32, 32, 64, 64, 128, 128]
    assert all(layer.kernel_size == (3, 3) and not layer.use_bias for layer in convs)
    # conv -> batch norm -> activation
    names = [layer.name for layer in model.layers]
    i = names.index("block1_conv1")
    assert names[i : i + 3] == ["block1_conv1", "block1_conv1_bn", "block1_conv1_act"]
    # 64 -> 32 -> 16 -> 8 -> 4, then global average pooling
    assert model.get_layer("block4_pool").output.shape[1:] == (4, 4, 128)
    assert model.layers[-3].name == "avg_pool" and model.get_layer("dropout").rate == 0.3
    # 293,040 conv weights + 1,920 batch-norm values + 129 in the output layer
    assert model.count_params() == 295_089 < 1_000_000
    n_trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert n_trainable == 294_129
    # the count does not depend on the image size (global pooling)
    assert _model(build_compact, input_shape=(100, 100, 3)).count_params() == 295_089
    alexnet = _model(build_alexnet, input_shape=(64, 64, 3))
    assert alexnet.count_params() > 50 * model.count_params()


def test_compact_keywords_change_layers():
    model = _model(
        build_compact,
        filters_2=24,
        kernel_size_3=5,
        strides_1=2,
        convs_4=1,
        pooling_2="min",
        pool_size_3=3,
        dense_units_1=32,
        dropout=0.0,
        regularizer=None,
    )
    assert model.get_layer("block2_conv2").filters == 24
    assert model.get_layer("block3_conv1").kernel_size == (5, 5)
    assert model.get_layer("block1_conv1").strides == (2, 2)
    assert model.get_layer("block1_conv2").strides == (1, 1)
    assert model.get_layer("block1_conv1").use_bias  # a bias without batch norm
    assert "block4_conv2" not in [layer.name for layer in model.layers]
    assert isinstance(model.get_layer("block2_pool"), MinPooling2D)
    assert isinstance(model.get_layer("block1_pool"), keras.layers.MaxPooling2D)
    assert model.get_layer("block3_pool").pool_size == (3, 3)
    assert model.get_layer("dense_1").units == 32
    assert not any(isinstance(la, keras.layers.Dropout) for la in model.layers)
    scaled = _model(build_compact, filter_scale=0.5, dense_units_1=10)
    assert scaled.get_layer("block4_conv1").filters == 64
    assert scaled.get_layer("dense_1").units == 5
    assert scaled.get_layer("dense_1_bn") is not None


@pytest.mark.parametrize("size", [16, 8, 1])
def test_compact_builds_on_small_images(size):
    model = _model(build_compact, input_shape=(size, size, 3))
    assert model.get_layer("block4_pool").output.shape[1:3] == (1, 1)
    x = np.random.default_rng(0).random((2, size, size, 3), dtype="float32")
    assert keras.ops.convert_to_numpy(model(x)).shape == (2, 1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"convs_2": 0}, "convs_2 must be an integer >= 1"),
        ({"filters_4": 0}, "filters_4 must be an integer >= 1"),
        ({"pooling_3": "sum"}, "pooling_3 must be one of"),
        ({"dense_units_1": -1}, "dense_units_1 must be an integer >= 0"),
        ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\)"),
    ],
)
def test_bad_compact_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_compact(keras.Input((16, 16, 3)), **kwargs)
    with pytest.raises(TypeError, match="filters_5"):
        build_compact(keras.Input((16, 16, 3)), filters_5=3)


def test_builders_accept_preprocessed_cropped_input():
    inputs = keras.Input((40, 40, 3))
    x = build_preprocessing(inputs, image_size=24, normalize=True, min_pixel=0, max_pixel=10)
    features = build_alexnet(x, filter_scale=TINY)
    assert features.shape == (None, 256)


def test_one_pixel_images_still_build():
    # padding "same" keeps every feature map at least 1x1
    model = _model(build_vgg16, input_shape=(1, 1, 2), filter_scale=TINY)
    assert model.get_layer("block5_pool").output.shape[1:3] == (1, 1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pooling": "median"}, r"pooling must be one of \('max', 'average', 'min'\)"),
        ({"pooling_2": "sum"}, "pooling_2 must be one of"),
        ({"regularizer": "dropout"}, "regularizer must be one of"),
        ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\)"),
        ({"filter_scale": 0}, "filter_scale must be a positive number"),
        ({"filters_3": 0}, "filters_3 must be an integer >= 1"),
        ({"kernel_size_1": 2.5}, "kernel_size_1 must be an integer"),
        ({"strides_4": -1}, "strides_4 must be an integer"),
        ({"pool_strides_5": 0}, "pool_strides_5 must be an integer"),
        ({"dense_units_2": "many"}, "dense_units_2 must be an integer"),
    ],
)
def test_bad_alexnet_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_alexnet(
            keras.Input((16, 16, 3)), filter_scale=kwargs.pop("filter_scale", TINY), **kwargs
        )


def test_bad_resnet_values_and_unknown_keyword():
    with pytest.raises(ValueError, match="blocks_3 must be an integer >= 1"):
        build_resnet18(keras.Input((16, 16, 3)), filter_scale=TINY, blocks_3=0)
    with pytest.raises(TypeError, match="filters_9"):
        build_vgg16(keras.Input((16, 16, 3)), filters_9=3)


def test_input_must_be_images():
    with pytest.raises(ValueError, match="4-d image tensors"):
        build_alexnet(keras.Input((16, 3)))


def test_full_model_with_custom_layers_round_trips_in_safe_mode(tmp_path):
    keras.utils.set_random_seed(1)
    inputs = keras.Input((20, 20, 2))
    x = build_preprocessing(inputs, image_size=16, normalize=True, min_pixel=0, max_pixel=[3, 4])
    x = build_alexnet(x, filter_scale=TINY, pooling="min", regularizer="local_response")
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid", name="output")(x))
    path = tmp_path / "alexnet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x_test = np.random.default_rng(2).random((3, 20, 20, 2), dtype="float32") * 5
    to_numpy = keras.ops.convert_to_numpy  # also detaches PyTorch tensors
    np.testing.assert_array_equal(to_numpy(model(x_test)), to_numpy(loaded(x_test)))
    assert isinstance(loaded.get_layer("pool_1"), MinPooling2D)
    assert isinstance(loaded.get_layer("lrn_1"), LocalResponseNormalization)
