"""ImageAugmenter as an imbalanced-learn sampler: counts, labels, seeds, validation, pipelines."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from imblearn.base import is_sampler
from imblearn.pipeline import Pipeline, make_pipeline
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.utils._param_validation import InvalidParameterError

from skbia import ImageAugmenter

ALL_ON = dict(
    shift=2,
    horizontal=True,
    vertical=True,
    rotation=True,
    zoom_range=(0.9, 1.1),
    skew_angle=5,
    mask_size=2,
    num_masks=2,
)


def _data(n_pos=3, n_neg=7, size=16, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(5.0, 1.0, size=(n_pos + n_neg, size, size, channels)).astype("float32")
    y = np.array([1] * n_pos + [0] * n_neg)
    order = rng.permutation(len(y))
    return X[order], y[order]


def _counts(y):
    labels, counts = np.unique(y, return_counts=True)
    return dict(zip(labels.tolist(), counts.tolist(), strict=True))


# --- what comes out ---------------------------------------------------------------------------


def test_originals_come_first_unchanged_then_float32_copies():
    X, y = _data()
    X_res, y_res = ImageAugmenter(n_copies=4, **ALL_ON, random_state=0).fit_resample(X, y)
    assert X_res.shape == (10 + 12, 16, 16, 3) and X_res.dtype == np.float32
    np.testing.assert_array_equal(X_res[:10], X)
    np.testing.assert_array_equal(y_res, np.r_[y, [1] * 12])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {0: 7, 1: 3 + 3}),
        ({"n_copies": 0}, {0: 7, 1: 3}),
        ({"n_copies": 4, "n_copies_other": 1}, {0: 7 + 7, 1: 3 + 12}),
        ({"n_copies": 4, "blend_multiplier": 2.5}, {0: 7, 1: 3 + 30}),
        ({"n_copies": 4, "n_copies_other": 2, "blend_other": 0.5}, {0: 7 + 7, 1: 3 + 12}),
        ({"n_copies": 3, "blend_multiplier": 1.1}, {0: 7, 1: 3 + 9}),  # floor(1.1 * 9) = 9
        ({"n_copies": 4, "blend_multiplier": 0.29}, {0: 7, 1: 3 + 3}),  # floor(0.29 * 12) = 3
        ({"n_copies": 0, "blend_multiplier": 3}, {0: 7, 1: 3}),  # nothing to blend
        ({"n_copies": 3, "balance": True}, {0: 7, 1: 12}),  # others smaller: untouched
        ({"n_copies": 1, "balance": True}, {0: 6, 1: 6}),
        ({"n_copies": 1, "n_copies_other": 1, "balance": True}, {0: 6, 1: 6}),
        ({"n_copies": 2, "positive_label": 0}, {0: 7 + 14, 1: 3}),
    ],
)
def test_class_counts_are_exactly_what_the_parameters_say(params, expected):
    X, y = _data()
    augmenter = ImageAugmenter(**params, random_state=0)
    X_res, y_res = augmenter.fit_resample(X, y)
    assert _counts(y_res) == expected == augmenter.class_counts_
    assert len(X_res) == len(y_res)


def test_multiclass_amounts_per_label_with_string_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(9, 12, 12)).astype("float32")  # 3-d: single band
    y = np.array(["star", "lens", "galaxy", "star", "galaxy", "star", "star", "galaxy", "star"])
    augmenter = ImageAugmenter(
        n_copies={"lens": 5, "galaxy": 1},
        n_copies_other=2,
        blend_multiplier={"lens": 2},
        random_state=0,
    )
    X_res, y_res = augmenter.fit_resample(X, y)
    assert X_res.shape[1:] == (12, 12, 1)
    assert _counts(y_res) == {"galaxy": 3 + 3, "lens": 1 + 10, "star": 5 + 10}
    assert augmenter.n_copies_ == {"galaxy": 1, "lens": 5, "star": 2}
    assert augmenter.blend_multiplier_ == {"galaxy": 0.0, "lens": 2.0, "star": 0.0}
    assert augmenter.positive_label_ == "lens"


def test_labels_follow_their_images():
    # each class is a constant image; "nearest" fill keeps constants constant through geometry
    y = np.array([0, 1, 2, 2, 1, 0, 0, 0])
    X = np.repeat((10.0 * (y + 1))[:, None, None, None], 14, axis=1)
    X = np.repeat(np.repeat(X, 14, axis=2), 2, axis=3).astype("float32")
    params = {k: v for k, v in ALL_ON.items() if k not in ("mask_size", "num_masks")}
    augmenter = ImageAugmenter(
        n_copies={1: 3, 2: 4},
        n_copies_other=1,
        blend_multiplier={2: 1.5},
        balance=True,
        **params,
        random_state=0,
    )
    X_res, y_res = augmenter.fit_resample(X, y)
    np.testing.assert_allclose(X_res.mean(axis=(1, 2, 3)), 10.0 * (y_res + 1), rtol=1e-5)
    assert _counts(y_res) == {0: 8, 1: 8, 2: 2 + 12}


def test_binary_0_1_labels_make_1_positive_even_when_it_is_the_larger_class():
    # skbia's rule, shared with CNNClassifier (whose score is P(1)): 1 is positive for
    # 0/1 labels, whichever class is smaller; before, the minority 0 was augmented here
    X, y = _data(3, 7)
    assert ImageAugmenter().fit(X, y).positive_label_ == 1
    augmenter = ImageAugmenter(n_copies=2, random_state=0)
    _, y_res = augmenter.fit_resample(X, 1 - y)
    assert augmenter.positive_label_ == 1 and _counts(y_res) == {0: 3, 1: 7 + 14}
    X, y = _data(5, 5)
    assert ImageAugmenter().fit(X, y).positive_label_ == 1
    assert ImageAugmenter(positive_label=0).fit(X, y).positive_label_ == 0


def test_more_than_two_classes_make_the_least_frequent_positive_ties_to_the_last():
    X = np.zeros((9, 8, 8), dtype="float32")
    assert ImageAugmenter().fit(X, [0, 0, 0, 0, 1, 1, 1, 2, 2]).positive_label_ == 2
    assert ImageAugmenter().fit(X, [0, 0, 1, 1, 1, 1, 2, 2, 2]).positive_label_ == 0
    assert ImageAugmenter().fit(X, [0, 1, 1, 1, 1, 2, 2, 2, 3]).positive_label_ == 3


def test_binary_string_labels_need_positive_label():
    X, y = _data(3, 7)
    names = np.where(y == 1, "lens", "other")
    with pytest.raises(ValueError, match=(
        "y has the labels 'lens' and 'other'; set positive_label to the class that is "
        r"positive \(skbia only assumes it for 0/1 labels\): needed by ImageAugmenter"
    )):
        ImageAugmenter().fit_resample(X, names)
    augmenter = ImageAugmenter(n_copies=2, positive_label="lens", random_state=0)
    _, y_res = augmenter.fit_resample(X, names)
    assert augmenter.positive_label_ == "lens" and _counts(y_res) == {"lens": 9, "other": 7}


@pytest.mark.parametrize(
    "params",
    [
        {},  # n_copies=1 but n_copies_other=0
        {"n_copies": 2, "n_copies_other": 2, "balance": True},
        {"n_copies": 2, "n_copies_other": 2, "blend_multiplier": 1.0},
        {"n_copies": {"lens": 2}, "balance": True},
        {"n_copies": 3, "n_copies_other": 1, "blend_multiplier": {"lens": 1.0}},
    ],
)
def test_binary_string_labels_need_positive_label_whenever_it_changes_the_output(params):
    X, y = _data(3, 7)
    with pytest.raises(ValueError, match="set positive_label to the class that is positive"):
        ImageAugmenter(**params).fit(X, np.where(y == 1, "lens", "other"))


@pytest.mark.parametrize(
    "params",
    [
        {"n_copies": 2, "n_copies_other": 2},
        {"n_copies": 1, "n_copies_other": 1, "blend_multiplier": 1.0, "blend_other": 1.0},
        {"n_copies": {"lens": 3, "other": 1}, "blend_multiplier": {"lens": 1.0}},
    ],
)
def test_binary_string_labels_treated_alike_take_the_sorted_last_class(params):
    X, y = _data(3, 7)
    names = np.where(y == 1, "lens", "other")
    augmenter = ImageAugmenter(**params, random_state=0)
    X_res, y_res = augmenter.fit_resample(X, names)
    assert augmenter.positive_label_ == "other"  # scikit-learn's classes_[1]; nothing depends on it
    reference = ImageAugmenter(**params, positive_label="lens", random_state=0)
    np.testing.assert_array_equal(reference.fit_resample(X, names)[0], X_res)


def test_balance_drops_random_images_of_the_larger_classes_only():
    X, y = _data(2, 20)
    X_res, y_res = ImageAugmenter(n_copies=3, balance=True, random_state=0).fit_resample(X, y)
    assert _counts(y_res) == {0: 8, 1: 8}
    kept_negatives = X_res[y_res == 0]
    originals = {X[i].tobytes() for i in np.flatnonzero(y == 0)}
    assert all(image.tobytes() in originals for image in kept_negatives)
    assert len({image.tobytes() for image in kept_negatives}) == 8


def test_input_is_not_modified_and_big_endian_input_is_accepted():
    X, y = _data()
    X_big = X.astype(">f4")
    before = X_big.copy()
    X_res, _ = ImageAugmenter(n_copies=2, **ALL_ON, random_state=0).fit_resample(X_big, y)
    np.testing.assert_array_equal(X_big, before)
    assert X_res.dtype == np.dtype("float32") and X_res.dtype.isnative
    X_res_native, _ = ImageAugmenter(n_copies=2, **ALL_ON, random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(X_res, X_res_native)


def test_copies_without_any_transform_are_exact_duplicates():
    X, y = _data()
    X_res, y_res = ImageAugmenter(n_copies=2).fit_resample(X, y)
    positives = np.flatnonzero(y == 1)
    np.testing.assert_array_equal(X_res[10:], X[np.repeat(positives, 2)])


# --- reproducibility --------------------------------------------------------------------------


def test_random_state_reproduces_and_different_seeds_differ():
    X, y = _data()
    first = ImageAugmenter(n_copies=3, **ALL_ON, random_state=7).fit_resample(X, y)[0]
    again = ImageAugmenter(n_copies=3, **ALL_ON, random_state=7).fit_resample(X, y)[0]
    other = ImageAugmenter(n_copies=3, **ALL_ON, random_state=8).fit_resample(X, y)[0]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first[10:], other[10:])
    fresh = [ImageAugmenter(n_copies=3, **ALL_ON).fit_resample(X, y)[0][10:] for _ in range(2)]
    assert not np.array_equal(*fresh)


def test_random_state_instance_is_accepted_and_advances():
    X, y = _data()
    augmenter = ImageAugmenter(n_copies=3, **ALL_ON, random_state=np.random.RandomState(0))
    first, second = (augmenter.fit_resample(X, y)[0] for _ in range(2))
    assert not np.array_equal(first[10:], second[10:])
    replay = ImageAugmenter(n_copies=3, **ALL_ON, random_state=np.random.RandomState(0))
    np.testing.assert_array_equal(replay.fit_resample(X, y)[0], first)


def test_different_data_with_the_same_seed_get_different_draws():
    # like two cross-validation folds sharing most images: the shared images are augmented
    # differently, and each fold's draws are reproducible
    X, y = _data(4, 6)
    fold_a, fold_b = np.r_[0:8], np.r_[2:10]
    shared_a, shared_b = np.r_[2:8], np.r_[0:6]
    augmenter = ImageAugmenter(n_copies=1, n_copies_other=1, **ALL_ON, random_state=0)
    out_a = augmenter.fit_resample(X[fold_a], y[fold_a])[0]
    out_b = augmenter.fit_resample(X[fold_b], y[fold_b])[0]
    np.testing.assert_array_equal(out_a[:8][shared_a], out_b[:8][shared_b])  # same originals
    assert not np.array_equal(np.sort(out_a[8:].ravel()), np.sort(out_b[8:].ravel()))
    np.testing.assert_array_equal(out_a, augmenter.fit_resample(X[fold_a], y[fold_a])[0])


# --- scikit-learn / imbalanced-learn protocol -------------------------------------------------


def test_is_a_sampler_that_clones_pickles_and_round_trips_params():
    augmenter = ImageAugmenter(n_copies={1: 3}, **ALL_ON, balance=True, random_state=3)
    assert is_sampler(augmenter)
    params = augmenter.get_params()
    assert params["n_copies"] == {1: 3} and params["zoom_range"] == (0.9, 1.1)
    cloned = clone(augmenter)
    assert cloned.get_params() == params
    assert cloned.set_params(shift=4, rotation="90") is cloned
    assert cloned.shift == 4 and cloned.rotation == "90"
    X, y = _data()
    restored = pickle.loads(pickle.dumps(augmenter))
    np.testing.assert_array_equal(restored.fit_resample(X, y)[0], augmenter.fit_resample(X, y)[0])
    assert ImageAugmenter().__sklearn_tags__().input_tags.allow_nan is False


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; records how many images it is fitted and scored on."""

    fit_sizes: list = []
    predict_sizes: list = []

    def fit(self, X, y):
        assert X.ndim == 4
        type(self).fit_sizes.append(len(X))
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        type(self).predict_sizes.append(len(X))
        return np.full(len(X), self.majority_)


def test_in_cross_validation_only_the_training_folds_are_augmented():
    X, y = _data(6, 12, size=12)
    RecordingClassifier.fit_sizes, RecordingClassifier.predict_sizes = [], []
    pipe = make_pipeline(
        ImageAugmenter(n_copies=4, n_copies_other=1, **ALL_ON, random_state=0),
        RecordingClassifier(),
    )
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(pipe, X, y, cv=cv, scoring="accuracy")
    assert len(scores) == 3
    # each training fold: 4 positives + 8 others -> 4 + 16 positives, 8 + 8 others
    assert RecordingClassifier.fit_sizes == [36, 36, 36]
    # each held-out fold is scored as it is: 2 positives + 4 others, never augmented
    assert RecordingClassifier.predict_sizes == [6, 6, 6]
    # augmented training folds hold more positives (20) than others (16), so the majority
    # predictor says "positive" and is right on the 2 held-out positives of 6
    np.testing.assert_allclose(scores, 2 / 6)


def test_pipeline_skips_the_augmenter_at_predict_time():
    X, y = _data()
    RecordingClassifier.fit_sizes, RecordingClassifier.predict_sizes = [], []
    pipe = Pipeline(
        [("aug", ImageAugmenter(n_copies=5, random_state=0)), ("clf", RecordingClassifier())]
    )
    pipe.fit(X, y)
    assert RecordingClassifier.fit_sizes == [25]
    assert pipe.predict(X).shape == (10,)
    assert RecordingClassifier.predict_sizes == [10]


def test_importing_the_augmenter_does_not_import_tensorflow():
    code = (
        "import sys, skbia.augmentation;"
        "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules];"
        "sys.exit(f'imported {bad}' if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout


# --- errors -----------------------------------------------------------------------------------


def _declared(name, constraint):
    """Message of the sampler's declarative validation for one parameter."""
    return rf"The '{name}' parameter of ImageAugmenter must be {constraint}.*\. Got .* instead"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"shift": -1}, _declared("shift", r"an int in the range \[0, inf\) or an array-like")),
        ({"shift": 2.5}, _declared("shift", "an int in the range")),
        ({"shift": True}, _declared("shift", "an int in the range")),
        ({"zoom_range": 1.1}, _declared("zoom_range", "None or an array-like")),
        ({"mask_size": 0}, _declared("mask_size", r"an int in the range \[1, inf\) or None")),
        ({"mask_size": 2, "num_masks": 0}, _declared("num_masks", r"an int in the range \[1")),
        ({"num_masks": 0}, _declared("num_masks", r"an int in the range \[1")),
        ({"fill": "edge"}, _declared("fill", "a str among {.*'nearest'.*}")),
        ({"interpolation": "lanczos"}, _declared("interpolation", "a str among {.*'bicubic'.*}")),
        ({"rotation": "45"}, _declared("rotation", r".*'bool'.* or a str among {'90'}")),
        ({"rotation": 90}, _declared("rotation", r".*'bool'.* or a str among {'90'}")),
        ({"horizontal": "yes"}, _declared("horizontal", "an instance of 'bool'.*")),
        ({"vertical": 1}, _declared("vertical", "an instance of 'bool'.*")),
        ({"dihedral": "yes"}, _declared("dihedral", "an instance of 'bool'.*")),
        ({"balance": None}, _declared("balance", "an instance of 'bool'.*")),
        ({"skew_angle": 90}, _declared("skew_angle", r"a float in the range \[0.0, 45.0\)")),
        ({"skew_angle": 45}, _declared("skew_angle", r"a float in the range \[0.0, 45.0\)")),
        ({"skew_angle": 60.0}, _declared("skew_angle", r"a float in the range \[0.0, 45.0\)")),
        ({"skew_angle": np.nan}, _declared("skew_angle", r"a float in the range \[0.0, 45.0\)")),
        ({"skew_angle": -5}, _declared("skew_angle", r"a float in the range \[0.0, 45.0\)")),
        ({"skew_angle": True}, _declared("skew_angle", r"a float in the range \[0.0, 45.0\)")),
        ({"fill_value": np.nan}, _declared("fill_value", r"a float in the range \(-3.40*2")),
        ({"fill_value": np.inf}, _declared("fill_value", r"a float in the range \(-3.40*2")),
        ({"fill_value": -1e40}, _declared("fill_value", r"a float in the range \(-3.40*2")),
        ({"n_copies": -1}, _declared("n_copies", r"an int in the range \[0, inf\) or .*Mapping'")),
        ({"n_copies": 2.0}, _declared("n_copies", "an int in the range")),
        ({"n_copies": True}, _declared("n_copies", "an int in the range")),
        ({"n_copies_other": -2}, _declared("n_copies_other", r"an int in the range \[0, inf\)")),
        ({"n_copies_other": np.True_}, _declared("n_copies_other", "an int in the range")),
        ({"blend_multiplier": -1}, _declared("blend_multiplier", r"a float in the range \[0.0")),
        ({"blend_other": np.inf}, _declared("blend_other", r"a float in the range \[0.0, inf\)")),
        ({"blending_func": "median"}, _declared("blending_func", "a str among {.*'mean'.*}")),
        ({"num_images_to_blend": 1}, _declared("num_images_to_blend", r"an int in the range \[2")),
        ({"random_state": "seed"}, _declared("random_state", "an int in the range .* or None")),
        ({"random_state": -1}, _declared("random_state", "an int in the range .* or None")),
    ],
)
def test_bad_parameters_fail_the_declared_constraints(params, message):
    X, y = _data()
    with pytest.raises(InvalidParameterError, match=message):
        ImageAugmenter(**{"random_state": 0, **params}).fit_resample(X, y)
    with pytest.raises(InvalidParameterError, match=message):
        ImageAugmenter(**{"random_state": 0, **params}).fit(X, y)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"shift": (1, 2, 3)}, "shift must be a non-negative integer or a .rows, columns. pair"),
        ({"shift": (1, -2)}, "shift must be a non-negative integer or a .rows, columns. pair"),
        ({"shift": (1, True)}, "shift must be a non-negative integer or a .rows, columns. pair"),
        ({"shift": 16}, "would move 16x16 pixel images out of the frame"),
        ({"shift": (2, 16)}, "would move 16x16 pixel images out of the frame"),
        ({"zoom_range": (1.1, 0.9)}, "zoom_range must have min_zoom <= max_zoom"),
        ({"zoom_range": (0.0, 1.0)}, r"zoom_range factors must lie in \[0.1, 10\]"),
        ({"zoom_range": (1.0, 1.1, 1.2)}, "zoom_range must be None or a"),
        ({"mask_size": 8}, "mask_size=8 is too large for 16x16 pixel images"),
        ({"n_copies": {5: 1}}, r"n_copies names labels that are not in y: \[5\]"),
        ({"n_copies": {1: -1}}, r"n_copies\[1\] must be a non-negative integer"),
        ({"n_copies": {1: True}}, r"n_copies\[1\] must be a non-negative integer"),
        ({"blend_multiplier": {1: np.nan}}, r"blend_multiplier\[1\] must be a finite number >= 0"),
        ({"positive_label": 2}, r"positive_label=2 is not one of the classes in y \(0, 1\)"),
        ({"positive_label": "1"}, "positive_label='1' is not one of the classes in y"),
    ],
)
def test_constraints_that_depend_on_the_data_raise_clear_errors(params, message):
    X, y = _data()
    with pytest.raises(ValueError, match=message):
        ImageAugmenter(**{"random_state": 0, **params}).fit_resample(X, y)


def test_every_parameter_has_a_declared_constraint():
    assert set(ImageAugmenter._parameter_constraints) == set(ImageAugmenter().get_params())


def test_parameters_are_validated_before_the_data():
    # the parameter error comes first, even though the images are unusable too
    with pytest.raises(InvalidParameterError, match="'skew_angle' parameter"):
        ImageAugmenter(skew_angle=-1).fit_resample(np.zeros((2, 8)), [0, 1])


def test_valid_numpy_scalars_and_sequences_pass_validation():
    X, y = _data()
    augmenter = ImageAugmenter(
        n_copies=np.int64(2),
        shift=[1, np.int32(2)],
        horizontal=np.True_,
        zoom_range=np.array([0.9, 1.1]),
        skew_angle=np.float32(3.0),
        fill_value=-1,
        mask_size=np.int16(2),
        random_state=np.random.RandomState(0),
    )
    X_res, y_res = augmenter.fit_resample(X, y)
    assert X_res.shape == (10 + 6, 16, 16, 3) and len(y_res) == 16
    assert augmenter.n_copies_ == {0: 0, 1: 2}


def test_quarter_turns_need_square_images():
    X = np.zeros((4, 12, 16, 1), dtype="float32")
    with pytest.raises(ValueError, match=r'rotation="90" needs square images'):
        ImageAugmenter(rotation="90").fit_resample(X, [0, 0, 1, 1])
    assert len(ImageAugmenter(rotation=True).fit_resample(X, [0, 0, 1, 1])[0]) == 6


def test_blending_needs_enough_copies():
    X, y = _data(1, 5)
    with pytest.raises(ValueError, match="Class 1 has 2 augmented copies to blend, fewer than"):
        ImageAugmenter(n_copies=2, blend_multiplier=1, num_images_to_blend=3).fit_resample(X, y)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros((4, 8, 8, 1, 1)), [0, 0, 1, 1], "must be a 3-d .* or 4-d"),
        (np.zeros((4, 8)), [0, 0, 1, 1], "must be a 3-d .* or 4-d"),
        (np.zeros((4, 8, 8)), [1, 1, 1, 1], r"y has 1 class\(es\)"),
        (np.zeros((4, 8, 8)), [0, 1, 1], "inconsistent lengths"),
        (np.zeros((4, 8, 8)).astype(str), [0, 0, 1, 1], "real numeric pixel values"),
    ],
)
def test_bad_input_raises_clear_errors(X, y, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ImageAugmenter().fit_resample(X, y)


def test_nan_pixels_are_reported_by_image_index():
    X, y = _data()
    X[3, 2, 2, 1] = np.nan
    with pytest.raises(ValueError, match=r"non-finite pixels .* at indices \[3\]"):
        ImageAugmenter().fit_resample(X, y)
