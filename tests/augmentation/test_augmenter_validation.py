"""ImageAugmenter rejects inputs that would silently make nonsense, before any image work."""

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skbia import ImageAugmenter
from skbia.augmentation._geometry import GeometrySettings, random_linear_parts


def _data(n_pos=3, n_neg=7, size=16, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(5.0, 1.0, size=(n_pos + n_neg, size, size, channels)).astype("float32")
    y = np.array([1] * n_pos + [0] * n_neg)
    return X, y


def _counts(y):
    labels, counts = np.unique(y, return_counts=True)
    return dict(zip(labels.tolist(), counts.tolist(), strict=True))


# --- y must be one class label per image ------------------------------------------------------


def test_a_continuous_y_is_rejected_naming_its_type():
    X, _ = _data()
    y = np.random.default_rng(0).random(10)  # used to become 10 one-image classes
    for labels in (y, y[:, None], list(y)):
        with pytest.raises(ValueError, match="ImageAugmenter needs class labels; y looks contin"):
            ImageAugmenter().fit_resample(X, labels)
        with pytest.raises(ValueError, match=r"type_of_target\(y\) is 'continuous'"):
            ImageAugmenter().fit(X, labels)


@pytest.mark.parametrize(
    ("y", "kind"),
    [
        (np.eye(2, dtype=int)[[1, 1, 1, 0, 0, 0, 0, 0, 0, 0]], "multilabel-indicator"),  # one-hot
        (np.random.default_rng(0).integers(0, 2, size=(10, 3)), "multilabel-indicator"),
        (np.random.default_rng(0).integers(0, 3, size=(10, 2)), "multiclass-multioutput"),
        (np.random.default_rng(0).random((10, 2)), "continuous-multioutput"),
    ],
)
def test_two_dimensional_targets_are_rejected(y, kind):
    X, _ = _data()
    with pytest.raises(ValueError, match=rf"one class label per image .* a {kind} target") as e:
        ImageAugmenter().fit_resample(X, y)
    assert "Multilabel and multi-output targets are not supported" in str(e.value)


def test_labels_of_unreadable_types_are_rejected():
    X, _ = _data()
    y = np.array([None] * 3 + ["a"] * 7, dtype=object)  # used to fail inside np.unique
    with pytest.raises(ValueError, match=r"y looks unknown \(type_of_target\(y\) is 'unknown'"):
        ImageAugmenter().fit_resample(X, y)


@pytest.mark.parametrize(
    "y",
    [
        np.array([1] * 3 + [0] * 7),
        np.array([1] * 3 + [0] * 7)[:, None],  # a column is one label per image
        np.array([1.0] * 3 + [0.0] * 7),
        np.array([2] * 3 + [0] * 4 + [1] * 3),
        [1] * 3 + [0] * 7,
    ],
)
def test_class_labels_pass(y):
    X, _ = _data()
    X_res, y_res = ImageAugmenter(random_state=0).fit_resample(X, y)
    assert len(X_res) == len(y_res) == 13 and y_res.ndim == 1


def test_nan_labels_keep_their_own_message():
    X, y = _data()
    with pytest.raises(ValueError, match="y contains NaN or infinite labels"):
        ImageAugmenter().fit_resample(X, np.r_[y[:-1], np.nan])


# --- blending must make blends ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "name", "label", "copies", "smallest"),
    [
        ({"n_copies": 4, "blend_multiplier": 0.01}, "blend_multiplier", 1, 12, "0.08334"),
        ({"n_copies": 4, "blend_multiplier": {1: 0.05}}, r"blend_multiplier\[1\]", 1, 12,
         "0.08334"),
        ({"n_copies_other": 1, "blend_other": 0.1}, "blend_other", 0, 7, "0.1429"),
        ({"n_copies": {0: 2}, "blend_multiplier": {1: 1}, "blend_other": 0.05},
         "blend_other", 0, 14, "0.07143"),
    ],
)
def test_a_multiplier_that_makes_no_blend_is_an_error(params, name, label, copies, smallest):
    X, y = _data()
    augmenter = ImageAugmenter(**params, random_state=0)
    with pytest.raises(ValueError, match=rf"^{name}=\S+ makes no blended image of class {label}:"
                       ) as error:
        augmenter.fit_resample(X, y)
    message = str(error.value)
    assert f"give {copies} copies to blend" in message
    assert f"Use {name.replace(chr(92), '')} >= 1/{copies} (about {smallest})" in message
    n_images = int(np.sum(y == label))
    assert f"its {n_images} image(s)" in message


@pytest.mark.parametrize(("n_copies", "copies"), [(4, 12), (1, 3), (7, 21)])
def test_the_smallest_multiplier_named_makes_exactly_one_blend(n_copies, copies):
    X, y = _data()  # 3 positives
    with pytest.raises(ValueError) as error:
        ImageAugmenter(n_copies=n_copies, blend_multiplier=0.999 / copies).fit_resample(X, y)
    smallest = float(str(error.value).split("(about ")[1].split(")")[0])
    for multiplier in (1 / copies, smallest):
        augmenter = ImageAugmenter(n_copies=n_copies, blend_multiplier=multiplier, random_state=0)
        augmenter.fit_resample(X, y)
        assert augmenter.class_counts_ == {0: 7, 1: 3 + 1}


def test_blending_a_class_without_copies_stays_a_no_op():
    X, y = _data()
    augmenter = ImageAugmenter(n_copies=0, blend_multiplier=0.01, blend_other=0.01)
    assert _counts(augmenter.fit_resample(X, y)[1]) == {0: 7, 1: 3}


def test_online_fitting_ignores_the_blend_counts():
    # fit() (what OnlineAugmentationDataset calls) blends whole batches: the offline count
    # does not apply, so a small multiplier means "blend" there
    X, y = _data()
    augmenter = ImageAugmenter(n_copies=1, blend_multiplier=0.01).fit(X, y)
    assert augmenter.blend_multiplier_ == {0: 0.0, 1: 0.01}


# --- geometry bounds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zoom", [(1e-4, 1e3), (1e-4, 1e-4), (0.09, 1.0), (1.0, 10.5), (20, 30), [0.05, 0.5]]
)
def test_zoom_factors_outside_a_tenth_to_tenfold_are_rejected(zoom):
    X, y = _data()
    with pytest.raises(ValueError, match=r"zoom_range factors must lie in \[0.1, 10\]"):
        ImageAugmenter(zoom_range=zoom).fit_resample(X, y)


@pytest.mark.parametrize("zoom", [(0.1, 10), (0.1, 0.1), (10.0, 10.0), np.array([0.5, 2.0])])
def test_zoom_factors_up_to_the_bounds_pass(zoom):
    X, y = _data()
    X_res, _ = ImageAugmenter(zoom_range=zoom, random_state=0).fit_resample(X, y)
    assert np.isfinite(X_res).all()


def _skew_determinants(angle, n=20000):
    settings = GeometrySettings(skew_angle=angle)
    linear, _ = random_linear_parts(np.random.default_rng(0), n, settings)
    return np.linalg.det(linear)


def test_the_skew_bound_is_where_the_shear_stops_being_invertible():
    # det = 1 - tan(a) tan(b): positive for every draw below 45 degrees, zero or negative
    # (a collapsed or mirrored image) for some draws at 60 degrees, as the old bound allowed
    assert _skew_determinants(44.9).min() > 0
    assert _skew_determinants(60.0).min() < 0
    X, y = _data()
    X_res, _ = ImageAugmenter(n_copies=5, skew_angle=44.9, random_state=0).fit_resample(X, y)
    assert np.isfinite(X_res).all()
    with pytest.raises(InvalidParameterError, match=r"'skew_angle' .* range \[0.0, 45.0\)"):
        ImageAugmenter(skew_angle=45.0).fit_resample(X, y)


def test_fill_value_must_fit_the_float32_output():
    X, y = _data()
    with pytest.raises(InvalidParameterError, match="'fill_value' parameter"):
        ImageAugmenter(shift=3, fill="constant", fill_value=1e40).fit_resample(X, y)
    X_res, _ = ImageAugmenter(
        n_copies=4, shift=3, fill="constant", fill_value=-3e38, random_state=0
    ).fit_resample(X, y)
    assert np.isfinite(X_res).all() and X_res.min() == np.float32(-3e38)


def test_cutouts_may_not_cover_more_than_the_image():
    X, y = _data()  # 16 x 16 = 256 pixels; a disc of radius 2 has 13
    with pytest.raises(ValueError, match=r"num_masks=20 discs of radius 2 \(13 pixels each\)"):
        ImageAugmenter(mask_size=2, num_masks=20).fit_resample(X, y)
    with pytest.raises(ValueError, match="Use num_masks <= 19"):
        ImageAugmenter(mask_size=2, num_masks=5000).fit_resample(X, y)
    X_res, _ = ImageAugmenter(mask_size=2, num_masks=19, random_state=0).fit_resample(X, y)
    assert (X_res[10:] != 0).any(axis=(1, 2, 3)).all()


# --- per-class dicts match labels as positive_label does --------------------------------------


def test_amount_dict_keys_are_matched_by_kind_and_value():
    X, y = _data()
    for key in (np.int64(1), 1.0):
        augmenter = ImageAugmenter(n_copies={key: 2}, random_state=0)
        assert _counts(augmenter.fit_resample(X, y)[1]) == {0: 7, 1: 3 + 6}
    for key in (True, "1"):
        with pytest.raises(ValueError, match=r"n_copies names labels that are not in y"):
            ImageAugmenter(n_copies={key: 2}).fit_resample(X, y)
    with pytest.raises(ValueError, match=r"n_copies names labels that are not in y: \[None\]"):
        ImageAugmenter(n_copies={None: 2}).fit_resample(X, y)


# --- errors before any image work, and inputs never modified ----------------------------------

FAILING = [
    {"skew_angle": 50},  # declared constraint
    {"zoom_range": (1e-4, 1e3)},  # pair check
    {"mask_size": 2, "num_masks": 500},  # against the image size
    {"positive_label": "1"},  # against y
    {"n_copies": 4, "blend_multiplier": 0.01},  # blending plan
    # class 0 (warped first) needs no blending; class 1 cannot blend its 3 copies by 4
    {"n_copies": 1, "n_copies_other": 2, "blend_multiplier": 1, "num_images_to_blend": 4},
]


@pytest.mark.parametrize("params", FAILING)
def test_every_error_comes_before_any_image_work(params, monkeypatch):
    worked = []
    monkeypatch.setattr(ImageAugmenter, "_augment_class", lambda *a, **k: worked.append(a))
    X, y = _data()
    with pytest.raises(ValueError):
        ImageAugmenter(**params, random_state=0).fit_resample(X, y)
    assert worked == []


def _unchanged_after(call, X, y):
    X_before, y_before = X.copy(), y.copy()
    call(X, y)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    assert X.dtype == X_before.dtype and y.dtype == y_before.dtype


def _fails(params):
    def call(X, y):
        with pytest.raises(ValueError):
            ImageAugmenter(**params, random_state=0).fit_resample(X, y)

    return call


@pytest.mark.parametrize("params", FAILING)
def test_inputs_are_unchanged_after_a_failed_call(params):
    X, y = _data()
    _unchanged_after(_fails(params), X, y)
    _unchanged_after(_fails(params), X.astype(">f4"), y.astype(float))  # converted, not modified
    _unchanged_after(_fails({}), X, y + np.arange(10) / 20)  # continuous y
    _unchanged_after(_fails({}), X, y.astype(str))  # no positive_label for '0'/'1'


@pytest.mark.parametrize("labels", ["int", "str"])
def test_inputs_are_unchanged_after_a_successful_call(labels):
    X, y = _data()
    y = y.astype(str) if labels == "str" else y
    params = dict(n_copies=3, n_copies_other=1, shift=2, rotation=True, blend_multiplier=1.0,
                  mask_size=2, num_masks=2, balance=True, positive_label=y[0], random_state=0)
    for images in (X, X.astype(">f4"), X[..., 0]):
        _unchanged_after(lambda X, y: ImageAugmenter(**params).fit_resample(X, y), images, y)
