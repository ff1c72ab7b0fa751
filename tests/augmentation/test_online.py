"""Online augmentation: a Keras PyDataset serving fresh transforms of the training images."""

import math
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from skbia import ImageAugmenter
from skbia.augmentation._online import OnlineAugmentationDataset

ALL_ON = dict(
    shift=2,
    horizontal=True,
    rotation=True,
    dihedral=True,
    zoom_range=(0.9, 1.1),
    skew_angle=5,
    blend_multiplier=1.0,
    mask_size=2,
    num_masks=2,
)


def _data(n_pos=6, n_neg=24, size=12, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(5.0, 1.0, size=(n_pos + n_neg, size, size, channels)).astype("float32")
    y = np.array([1] * n_pos + [0] * n_neg)
    return X, y


def _epoch(dataset, epoch):
    """Concatenate the batches of one epoch, element by element."""
    batches = [dataset.get_batch(i, epoch=epoch) for i in range(len(dataset))]
    return [np.concatenate(parts) for parts in zip(*batches, strict=True)]


def _views(image):
    turns = [np.rot90(image, k) for k in range(4)]
    return turns + [np.fliplr(t) for t in turns]


# --- batches ----------------------------------------------------------------------------------


def test_batches_have_the_shapes_and_dtypes_keras_expects():
    X, y = _data()
    dataset = OnlineAugmentationDataset(X, y, ImageAugmenter(**ALL_ON), batch_size=8, seed=0)
    assert len(dataset) == math.ceil(30 / 8) == 4 and dataset.epoch_size == 30
    for index, size in enumerate([8, 8, 8, 6]):
        images, targets = dataset[index]
        assert images.shape == (size, 12, 12, 3) and images.dtype == np.float32
        assert targets.shape == (size,) and targets.dtype == y.dtype
        assert np.isfinite(images).all()


def test_one_hot_targets_and_sample_weights_are_served_row_by_row():
    X, y = _data(4, 8)
    one_hot = np.eye(2, dtype="float32")[y]
    weights = np.arange(12, dtype=float) + 1.0
    dataset = OnlineAugmentationDataset(
        X, one_hot, ImageAugmenter(), batch_size=5, sample_weight=weights, shuffle=True, seed=1
    )
    images, targets, served_weights = _epoch(dataset, 0)
    sources = dataset.epoch_indices(0)
    assert targets.shape == (12, 2) and targets.dtype == np.float32
    assert served_weights.dtype == np.float32
    np.testing.assert_array_equal(targets, one_hot[sources])
    np.testing.assert_array_equal(served_weights, weights[sources])
    # nothing enabled: the images are exactly their sources
    np.testing.assert_array_equal(images, X[sources])
    assert dataset.epoch_class_counts == {0: 8, 1: 4}


def test_three_d_images_get_one_channel():
    X, y = _data(channels=1)
    dataset = OnlineAugmentationDataset(X[..., 0], y, ImageAugmenter(shift=1), batch_size=16)
    assert dataset[0][0].shape == (16, 12, 12, 1)


# --- epochs and class ratio -------------------------------------------------------------------


def test_without_balance_ratio_every_image_is_served_once_per_epoch():
    X, y = _data()
    dataset = OnlineAugmentationDataset(X, y, ImageAugmenter(shift=1), batch_size=7, seed=0)
    for epoch in range(3):
        np.testing.assert_array_equal(np.sort(dataset.epoch_indices(epoch)), np.arange(30))
    assert not np.array_equal(dataset.epoch_indices(0), dataset.epoch_indices(1))  # reshuffled


@pytest.mark.parametrize(
    ("ratio", "n_pos_served", "len_expected"),
    [(0.5, 12, 5), (0.3, 7, 4), (1.0, 24, 6), (0.1, 6, 4)],  # 0.1: already above, kept whole
)
def test_balance_ratio_sets_the_class_counts_of_every_epoch(ratio, n_pos_served, len_expected):
    X, y = _data(6, 24)
    dataset = OnlineAugmentationDataset(
        X, y, ImageAugmenter(**ALL_ON), batch_size=8, balance_ratio=ratio, seed=0
    )
    assert dataset.epoch_size == 24 + n_pos_served and len(dataset) == len_expected
    assert dataset.epoch_class_counts == {0: 24, 1: n_pos_served}
    for epoch in range(3):
        _, targets = _epoch(dataset, epoch)
        assert int((targets == 1).sum()) == n_pos_served and int((targets == 0).sum()) == 24
        served = np.bincount(dataset.epoch_indices(epoch), minlength=30)
        np.testing.assert_array_equal(served[6:], 1)  # every majority image exactly once
        # every minority image served floor(t / n) or one more times
        assert set(served[:6].tolist()) <= {n_pos_served // 6, n_pos_served // 6 + 1}


def test_multiclass_labels_drive_the_ratio_and_the_per_class_settings():
    X, _ = _data(0, 20, size=10)
    labels = np.array(["star"] * 12 + ["lens"] * 2 + ["galaxy"] * 6)
    codes = np.unique(labels, return_inverse=True)[1]
    augmenter = ImageAugmenter(n_copies={"lens": 3}, blend_multiplier={"lens": 1.0})
    dataset = OnlineAugmentationDataset(
        X, np.eye(3)[codes], augmenter, batch_size=4, labels=labels, balance_ratio=0.5, seed=0
    )
    assert dataset.epoch_class_counts == {"galaxy": 6, "lens": 6, "star": 12}
    assert dataset.augmenter_.blend_multiplier_ == {"galaxy": 0.0, "lens": 1.0, "star": 0.0}
    _, targets = _epoch(dataset, 0)
    np.testing.assert_array_equal(targets.sum(axis=0), [6, 6, 12])


def test_two_epochs_differ_and_keras_epoch_end_moves_on():
    X, y = _data()
    dataset = OnlineAugmentationDataset(
        X, y, ImageAugmenter(**ALL_ON), batch_size=10, shuffle=False, seed=0
    )
    first = [dataset[i][0] for i in range(len(dataset))]
    dataset.on_epoch_end()
    assert dataset.epoch == 1
    second = [dataset[i][0] for i in range(len(dataset))]
    # same images in the same order (shuffle=False), drawn through different transforms
    np.testing.assert_array_equal(dataset.epoch_indices(0), dataset.epoch_indices(1))
    assert all(not np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    np.testing.assert_array_equal(np.concatenate(second), _epoch(dataset, 1)[0])


# --- reproducibility --------------------------------------------------------------------------


def test_the_same_seed_reproduces_the_sequence_of_epochs_and_another_differs():
    X, y = _data()

    def run(seed):
        dataset = OnlineAugmentationDataset(
            X, y, ImageAugmenter(**ALL_ON), batch_size=8, balance_ratio=0.5, seed=seed
        )
        epochs = []
        for _ in range(3):
            epochs.append([dataset[i] for i in range(len(dataset))])
            dataset.on_epoch_end()
        return epochs

    first, again, other = run(7), run(7), run(8)
    for epoch_a, epoch_b in zip(first, again, strict=True):
        for batch_a, batch_b in zip(epoch_a, epoch_b, strict=True):
            for a, b in zip(batch_a, batch_b, strict=True):
                np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0][0][0], other[0][0][0])


def test_batches_do_not_depend_on_the_order_or_threads_that_make_them():
    X, y = _data()
    dataset = OnlineAugmentationDataset(
        X, y, ImageAugmenter(**ALL_ON), batch_size=4, balance_ratio=1.0, seed=3
    )
    sequential = [dataset.get_batch(i, epoch=2)[0] for i in range(len(dataset))]
    reverse = [dataset.get_batch(i, epoch=2)[0] for i in reversed(range(len(dataset)))][::-1]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda i: dataset.get_batch(i, epoch=2)[0], range(len(dataset))))
    for a, b, c in zip(sequential, reverse, threaded, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_seed_none_draws_once_so_epochs_still_repeat_within_a_dataset():
    X, y = _data()
    dataset = OnlineAugmentationDataset(X, y, ImageAugmenter(**ALL_ON), batch_size=8)
    again = dataset.get_batch(1, epoch=4)[0]
    np.testing.assert_array_equal(dataset.get_batch(1, epoch=4)[0], again)
    other = OnlineAugmentationDataset(X, y, ImageAugmenter(**ALL_ON), batch_size=8)
    assert not np.array_equal(dataset[0][0], other[0][0])


# --- exactness and blending -------------------------------------------------------------------


def test_dihedral_only_serves_exact_views_of_the_sources():
    X, y = _data(4, 12, size=9)
    dataset = OnlineAugmentationDataset(
        X, y, ImageAugmenter(dihedral=True), batch_size=16, balance_ratio=1.0, seed=0
    )
    seen = set()
    for epoch in range(3):
        images, _ = _epoch(dataset, epoch)
        for image, source in zip(images, dataset.epoch_indices(epoch), strict=True):
            matches = [k for k, view in enumerate(_views(X[source])) if np.array_equal(image, view)]
            assert len(matches) == 1  # noise images have 8 distinct views
            seen.add(matches[0])
            assert math.fsum(image.ravel().tolist()) == math.fsum(X[source].ravel().tolist())
    assert seen == set(range(8))


def test_blending_class_images_are_blends_of_distinct_images_of_that_class_in_the_batch():
    # constant images with distinct values; positives at 0..3 and 11, no geometry
    values = np.arange(1.0, 13.0, dtype="float32")
    X = np.broadcast_to(values[:, None, None, None], (12, 8, 8, 2)).copy()
    y = np.zeros(12, int)
    y[[0, 1, 2, 3, 11]] = 1
    augmenter = ImageAugmenter(blend_multiplier=1.0, num_images_to_blend=2)
    dataset = OnlineAugmentationDataset(X, y, augmenter, batch_size=6, shuffle=False, seed=0)
    (first, t_first), (second, t_second) = dataset[0], dataset[1]
    pair_means = {(values[a] + values[b]) / 2 for a in range(4) for b in range(4) if a != b}
    for image, target, value in zip(first, t_first, values[:6], strict=True):
        assert np.unique(image).size == 1
        if target == 1:  # a blend of two distinct positives of this batch
            assert image.flat[0] in pair_means
        else:  # others do not blend
            assert image.flat[0] == value
    # the second batch holds one positive: too few to blend, it is served as it is
    np.testing.assert_array_equal(second, X[6:12])
    np.testing.assert_array_equal(t_second, y[6:12])


# --- protocol ---------------------------------------------------------------------------------


def test_it_pickles_and_the_wrapped_augmenter_clones_unmodified():
    X, y = _data()
    augmenter = ImageAugmenter(**ALL_ON, random_state=0)
    dataset = OnlineAugmentationDataset(X, y, augmenter, batch_size=8, balance_ratio=0.5, seed=5)
    dataset.on_epoch_end()
    restored = pickle.loads(pickle.dumps(dataset))
    assert restored.epoch == 1 and len(restored) == len(dataset)
    for a, b in zip(restored[2], dataset[2], strict=True):
        np.testing.assert_array_equal(a, b)
    assert not hasattr(augmenter, "classes_")  # the caller's augmenter is not fitted
    assert dataset.augmenter_ is not augmenter
    assert clone(dataset.augmenter_).get_params() == augmenter.get_params()
    assert dataset.workers == 1 and dataset.use_multiprocessing is False


def test_workers_settings_are_passed_to_keras():
    X, y = _data()
    dataset = OnlineAugmentationDataset(
        X, y, ImageAugmenter(), workers=3, use_multiprocessing=True, max_queue_size=4
    )
    assert (dataset.workers, dataset.use_multiprocessing, dataset.max_queue_size) == (3, True, 4)


def test_keras_fit_serves_each_epoch_with_its_own_transforms():
    import keras

    class Recording(OnlineAugmentationDataset):
        requests: list = []

        def __getitem__(self, index):
            type(self).requests.append((self.epoch, index))
            return super().__getitem__(index)

    X, y = _data(size=8, channels=1)
    for workers in (1, 2):
        Recording.requests = []
        dataset = Recording(
            X,
            y,
            ImageAugmenter(**ALL_ON),
            batch_size=8,
            balance_ratio=1.0,
            seed=0,
            workers=workers,
        )
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(1, "sigmoid")]
        )
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        history = model.fit(dataset, epochs=2, shuffle=False, verbose=0)
        assert len(history.history["loss"]) == 2
        # Keras may also call on_epoch_end once before training (and probe a few batches):
        # the two training epochs are the last two epoch numbers, each served whole
        served = sorted({epoch for epoch, _ in Recording.requests})
        assert dataset.epoch == served[-1] + 1 and len(served) >= 2
        for epoch in served[-2:]:
            indices = [i for e, i in Recording.requests if e == epoch]
            assert sorted(indices) == list(range(len(dataset)))


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"augmenter": "flips"}, TypeError, "augmenter must be an ImageAugmenter"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
        ({"batch_size": True}, ValueError, "batch_size must be a positive integer"),
        ({"balance_ratio": 0}, ValueError, r"balance_ratio must be None or a number in \(0, 1\]"),
        ({"balance_ratio": 1.5}, ValueError, r"balance_ratio must be None or a number in \(0, 1"),
        ({"balance_ratio": True}, ValueError, r"balance_ratio must be None or a number in \(0, 1"),
        ({"shuffle": "yes"}, ValueError, "shuffle must be True or False"),
        ({"workers": 0}, ValueError, "workers must be a positive integer"),
        ({"seed": -1}, ValueError, "random_state must be a non-negative integer"),
        ({"y": np.zeros(29)}, ValueError, r"y must have shape .* got shape \(29,\)"),
        ({"sample_weight": -np.ones(30)}, ValueError, "sample_weight must be finite and non-neg"),
        ({"sample_weight": np.ones(3)}, ValueError, "sample_weight must be a 1-d array of 30"),
        ({"labels": np.zeros(30)}, ValueError, r"y has 1 class\(es\)"),
        ({"augmenter": ImageAugmenter(skew_angle=-1)}, InvalidParameterError, "'skew_angle'"),
        ({"augmenter": ImageAugmenter(mask_size=6)}, ValueError, "mask_size=6 is too large"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, message):
    X, y = _data()
    arguments = {"X": X, "y": y, "augmenter": ImageAugmenter(), **kwargs}
    with pytest.raises(error, match=message):
        OnlineAugmentationDataset(**arguments)


def test_dihedral_needs_square_images_online_too():
    X = np.zeros((4, 8, 10, 1), dtype="float32")
    with pytest.raises(ValueError, match="dihedral=True needs square images.*8x10"):
        OnlineAugmentationDataset(X, [0, 0, 1, 1], ImageAugmenter(dihedral=True))


def test_batch_index_and_epoch_are_checked():
    X, y = _data()
    dataset = OnlineAugmentationDataset(X, y, ImageAugmenter(), batch_size=8)
    with pytest.raises(IndexError, match="batch index 4 is out of range for 4 batches"):
        dataset[4]
    with pytest.raises(IndexError, match="out of range"):
        dataset[-1]
    with pytest.raises(TypeError, match="batch index must be an integer"):
        dataset[1.0]
    with pytest.raises(ValueError, match="epoch must be a non-negative integer"):
        dataset.get_batch(0, epoch=-1)


def test_unknown_labels_are_refused_by_the_augmenter():
    X, y = _data()
    augmenter = ImageAugmenter().fit(X, y)
    with pytest.raises(ValueError, match=r"classes the augmenter was not fitted on: \[7\]"):
        augmenter._augment(X[:2], np.array([0, 7]), np.random.default_rng(0))


def test_binary_labels_follow_the_package_positive_class_rule():
    # 0/1 codes: 1 blends even as the larger class; "lens"/"other" must say which is positive
    X, y = _data(4, 8)
    dataset = OnlineAugmentationDataset(
        X, 1 - y, ImageAugmenter(blend_multiplier=1.0), batch_size=6, seed=0
    )
    assert dataset.augmenter_.blend_multiplier_ == {0: 0.0, 1: 1.0}
    names = np.where(y == 1, "lens", "other")
    with pytest.raises(ValueError, match="set positive_label to the class that is positive"):
        OnlineAugmentationDataset(X, y, ImageAugmenter(blend_multiplier=1.0), labels=names)
    dataset = OnlineAugmentationDataset(
        X, y, ImageAugmenter(blend_multiplier=1.0, positive_label="lens"), labels=names, seed=0
    )
    assert dataset.augmenter_.blend_multiplier_ == {"lens": 1.0, "other": 0.0}
    # online, n_copies and balance are not used: without blending every class is augmented
    # alike, so the default augmenter (n_copies=1, n_copies_other=0) needs no positive_label
    dataset = OnlineAugmentationDataset(X, y, ImageAugmenter(dihedral=True), labels=names, seed=0)
    assert dataset.augmenter_.blend_multiplier_ == {"lens": 0.0, "other": 0.0}
    with pytest.raises(ValueError, match="set positive_label to the class that is positive"):
        ImageAugmenter(dihedral=True).fit(X, names)  # offline, n_copies applies to one class
