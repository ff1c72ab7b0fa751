"""The search space builder: exact keys per pyBIA switch, ranges, validation."""

from __future__ import annotations

import pytest
from skopt.space import Categorical, Integer, Real

from skbia.tuning import build_search_space

LEARNING_KEYS = {
    "cnnclassifier__learning_rate",
    "cnnclassifier__decay",
    "cnnclassifier__optimizer",
    "cnnclassifier__loss",
    "cnnclassifier__conv_activation",
    "cnnclassifier__dense_activation",
    "cnnclassifier__conv_initializer",
    "cnnclassifier__dense_initializer",
    "cnnclassifier__batch_size",
}


def tiny_builder(
    inputs,
    *,
    pooling="max",
    regularizer="batch_norm",
    filters_1=8,
    kernel_size_1=5,
    strides_1=2,
    pooling_1=None,
    filters_2=16,
    kernel_size_2=3,
    strides_2=1,
    pooling_2=None,
    dense_units_1=32,
    **kwargs,
):
    """Signature-only stand-in for an architecture builder."""
    raise NotImplementedError


def test_learning_parameters_always_tuned():
    space = build_search_space(batch_size=(16, 64), learning_rate=(1e-4, 1e-2))
    assert set(space) == LEARNING_KEYS
    lr = space["cnnclassifier__learning_rate"]
    assert isinstance(lr, Real) and lr.prior == "log-uniform"
    assert (lr.low, lr.high) == (1e-4, 1e-2)
    batch = space["cnnclassifier__batch_size"]
    assert isinstance(batch, Integer) and (batch.low, batch.high) == (16, 64)
    assert set(space["cnnclassifier__optimizer"].categories) == {
        "sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "nadam",
    }


def test_augmentation_switch_adds_exact_keys():
    space = build_search_space(
        tune_augmentation=True,
        n_copies=(10, 250),
        image_size=(50, 100),
        max_pixel=(10, 1500),
        n_bands=3,
        max_shift=5,
        blend_max=3.0,
        max_mask_size=6,
        max_num_masks=4,
    )
    assert set(space) - LEARNING_KEYS == {
        "cnnclassifier__image_size",
        "cnnclassifier__max_pixel[0]",
        "cnnclassifier__max_pixel[1]",
        "cnnclassifier__max_pixel[2]",
        "imageaugmenter__n_copies",
        "imageaugmenter__shift",
        "imageaugmenter__blend_multiplier",
        "imageaugmenter__mask_size",
        "imageaugmenter__num_masks",
    }
    assert (space["imageaugmenter__n_copies"].low, space["imageaugmenter__n_copies"].high) == (
        10,
        250,
    )
    assert (space["imageaugmenter__shift"].low, space["imageaugmenter__shift"].high) == (0, 5)
    blend = space["imageaugmenter__blend_multiplier"]
    assert (blend.low, blend.high) == (1.0, 3.0)
    for band in range(3):
        dim = space[f"cnnclassifier__max_pixel[{band}]"]
        assert (dim.low, dim.high) == (10, 1500)


def test_augmentation_defaults_and_optional_ranges():
    space = build_search_space(tune_augmentation=True)
    assert set(space) - LEARNING_KEYS == {
        "cnnclassifier__image_size",
        "imageaugmenter__n_copies",
        "imageaugmenter__shift",
    }
    space = build_search_space(
        tune_augmentation=True,
        image_size=None,
        max_shift=None,
        n_copies_other=(0, 2),
        blend_other=(1.0, 2.0),
        max_pixel=(50, 500),
        n_bands=0,
        blend_max=1.05,  # below 1.1: blending not tuned
    )
    assert set(space) - LEARNING_KEYS == {
        "cnnclassifier__max_pixel",
        "imageaugmenter__n_copies",
        "imageaugmenter__n_copies_other",
        "imageaugmenter__blend_other",
    }


def test_step_names_and_no_augmenter():
    space = build_search_space(
        classifier="cnn", augmenter=None, tune_augmentation=True, image_size=(16, 24)
    )
    assert all(key.startswith("cnn__") for key in space)
    assert "cnn__image_size" in space
    space = build_search_space(classifier="clf", augmenter="aug", tune_augmentation=True)
    assert "aug__n_copies" in space and "clf__learning_rate" in space


def test_model_switch_tunes_pooling_and_regularizer():
    space = build_search_space(tune_model=True, arch=tiny_builder)
    assert set(space) - LEARNING_KEYS == {
        "cnnclassifier__model__pooling_1",
        "cnnclassifier__model__pooling_2",
        "cnnclassifier__regularizer",
    }
    assert set(space["cnnclassifier__model__pooling_1"].categories) == {"max", "average", "min"}
    assert set(space["cnnclassifier__regularizer"].categories) == {
        "batch_norm",
        "local_response",
    }


def test_model_switch_without_per_layer_pooling_tunes_global_pooling():
    def builder(inputs, *, pooling="max", filters_1=4):
        raise NotImplementedError

    space = build_search_space(tune_model=True, arch=builder)
    assert set(space) - LEARNING_KEYS == {"cnnclassifier__pooling", "cnnclassifier__regularizer"}


def test_unlimited_search_tunes_filters_kernels_strides():
    space = build_search_space(tune_model=True, limit_search=False, arch=tiny_builder)
    layer_keys = {key for key in space if "__model__" in key and "pooling" not in key}
    assert layer_keys == {
        f"cnnclassifier__model__{knob}_{i}"
        for knob in ("filters", "kernel_size", "strides")
        for i in (1, 2)
    }
    filters = space["cnnclassifier__model__filters_2"]
    assert isinstance(filters, Integer) and filters.low <= 16 <= filters.high
    assert space["cnnclassifier__model__strides_1"].low == 1
    # limit_search=False without tune_model changes nothing (as in pyBIA)
    assert set(build_search_space(limit_search=False)) == LEARNING_KEYS


def test_space_is_an_editable_plain_dict():
    space = build_search_space()
    assert type(space) is dict
    space["cnnclassifier__optimizer"] = Categorical(["adam"])
    del space["cnnclassifier__decay"]
    assert len(space) == len(LEARNING_KEYS) - 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": (64, 16)}, "batch_size is inverted"),
        ({"learning_rate": (0.0, 0.1)}, "learning_rate must be positive"),
        ({"optimizers": []}, "optimizers must list"),
        ({"tune_augmentation": True, "max_pixel": (10, 100)}, "n_bands"),
        ({"tune_augmentation": True, "image_size": (50.5, 60)}, "integers"),
        ({"tune_augmentation": True, "max_shift": -1}, "max_shift is inverted"),
        ({"tune_augmentation": True, "blend_max": -1.0}, "blend_max must be >= 0"),
        ({"tune_augmentation": True, "n_copies": (1, 2, 3)}, "pair"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_search_space(**kwargs)


def test_injection_switch_tunes_the_injector_ranges_without_inverting_them():
    from skbia.tuning._search_results import pack_band_params

    assert not any(key.startswith("lensinjector") for key in build_search_space())
    space = build_search_space(inject=True, injected_einstein_radius=(1.0, 3.0),
                               injected_source_magnitude=(21.0, 24.0), n_injected=(50, 200))
    assert set(space) - LEARNING_KEYS == {
        "lensinjector__einstein_radius[0]",
        "lensinjector__einstein_radius[1]",
        "lensinjector__source_magnitude[0]",
        "lensinjector__source_magnitude[1]",
        "lensinjector__n_injected",
    }
    low, high = space["lensinjector__einstein_radius[0]"], space["lensinjector__einstein_radius[1]"]
    assert (low.low, low.high, high.low, high.high) == (1.0, 2.0, 2.0, 3.0)
    bright = space["lensinjector__source_magnitude[0]"]
    assert (bright.low, bright.high) == (21.0, 22.5)
    count = space["lensinjector__n_injected"]
    assert isinstance(count, Integer) and (count.low, count.high) == (50, 200)
    # CNNSearchCV packs a point into the (min, max) pair the injector takes
    packed = pack_band_params({"lensinjector__einstein_radius[0]": 1.5,
                               "lensinjector__einstein_radius[1]": 2.5})
    assert packed == {"lensinjector__einstein_radius": [1.5, 2.5]}
    named = build_search_space(inject=True, injector="inj", injected_einstein_radius=(2.0, 2.0))
    assert named["inj__einstein_radius[0]"] == Categorical([2.0])
    with pytest.raises(ValueError, match="injected_einstein_radius must be positive"):
        build_search_space(inject=True, injected_einstein_radius=(0.0, 2.0))
    with pytest.raises(ValueError, match="injected_source_magnitude is inverted"):
        build_search_space(inject=True, injected_source_magnitude=(24.0, 21.0))
