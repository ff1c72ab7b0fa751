"""resolve_positive_label: the one positive-class rule of skbia."""

import numpy as np
import pytest

import skbia.utils
from skbia.utils import resolve_positive_label

NEEDED = "ImageAugmenter (the class to augment)"


def test_is_exported_from_skbia_utils():
    assert "resolve_positive_label" in skbia.utils.__all__
    assert skbia.utils.resolve_positive_label is resolve_positive_label


# --- 1. a given positive_label ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("classes", "given", "expected"),
    [
        (np.array([0, 1]), 0, 0),
        (np.array([0, 1]), np.int64(0), 0),
        (np.array([3, 7], dtype=np.int32), 3, 3),
        (np.array([0, 1]), 1.0, 1),
        (np.array([0.0, 1.0]), 1, 1.0),
        (np.array(["lens", "other"]), "lens", "lens"),
        (np.array(["lens", "other"]), np.str_("lens"), "lens"),
        (["galaxy", "lens", "star"], "star", "star"),
        (np.array([False, True]), np.False_, False),
        (np.array([0, 1]), np.array(1), 1),  # a 0-d array is its scalar
    ],
)
def test_a_given_label_is_returned_as_the_matching_class(classes, given, expected):
    positive = resolve_positive_label(classes, given, required_for=NEEDED)
    assert positive == expected
    assert type(positive) is type(expected)  # the class's own value, as a Python scalar
    assert not isinstance(positive, np.generic)


@pytest.mark.parametrize(
    ("classes", "given", "listed"),
    [
        (np.array([0, 1]), "1", "(0, 1)"),  # a string never names a number
        (np.array(["0", "1"]), 1, "('0', '1')"),
        (np.array([0, 1]), True, "(0, 1)"),  # nor a boolean a number
        (np.array([False, True]), 1, "(False, True)"),
        (np.array([0, 1]), 2, "(0, 1)"),
        (np.array([0, 1]), [1], "(0, 1)"),
        (np.array([0, 1]), np.array([1]), "(0, 1)"),
        (np.array([0, 1]), np.nan, "(0, 1)"),
        (np.array(["lens", "other"]), "Lens", "('lens', 'other')"),
    ],
)
def test_a_label_that_is_not_a_class_raises_listing_the_classes(classes, given, listed):
    with pytest.raises(ValueError, match=r"is not one of the classes in y") as error:
        resolve_positive_label(classes, given)
    assert listed in str(error.value)
    assert f"positive_label={given!r}" in str(error.value)


# --- 2. binary 0/1-like labels ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("classes", "expected"),
    [
        (np.array([0, 1]), 1),
        (np.array([1, 0]), 1),  # order does not matter
        (np.array([0, 1], dtype=np.uint8), 1),
        (np.array([0.0, 1.0]), 1.0),
        (np.array([-1, 1]), 1),
        (np.array([False, True]), True),
        ([0, 1], 1),
    ],
)
def test_binary_0_1_labels_make_the_larger_one_positive(classes, expected):
    for required_for in (None, NEEDED):
        positive = resolve_positive_label(classes, required_for=required_for, counts=[9, 1])
        assert positive == expected and type(positive) is type(expected)


# --- 3. other binary labels -------------------------------------------------------------------


def test_other_binary_labels_raise_when_someone_needs_the_positive_class():
    message = (
        "y has the labels 'lens' and 'other'; set positive_label to the class that is "
        "positive (skbia only assumes it for 0/1 labels): needed by "
        "ImageAugmenter (the class to augment)."
    )
    with pytest.raises(ValueError) as error:
        resolve_positive_label(np.array(["other", "lens"]), counts=[90, 10], required_for=NEEDED)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "classes",
    [
        np.array(["lens", "other"]),
        np.array(["0", "1"]),  # strings, not 0/1 labels
        np.array([3, 7]),
        np.array([0, 2]),
        np.array([1, 2]),
        np.array([0.0, 0.5]),
    ],
)
def test_other_binary_labels_follow_scikit_learn_without_required_for(classes):
    # scikit-learn's binary classifiers score classes_[1], the sorted-last class
    assert resolve_positive_label(classes) == np.unique(classes)[1]
    with pytest.raises(ValueError, match="set positive_label to the class that is positive"):
        resolve_positive_label(classes, required_for="CNNClassifier")


# --- 4. more than two classes -----------------------------------------------------------------


def test_more_than_two_classes_take_the_least_frequent_ties_to_the_last_sorted():
    classes = np.array(["galaxy", "lens", "star"])
    assert resolve_positive_label(classes, counts=[40, 3, 500]) == "lens"
    assert resolve_positive_label(classes, counts=[3, 3, 500]) == "lens"
    assert resolve_positive_label(classes, counts=[3, 40, 3], required_for=NEEDED) == "star"
    assert resolve_positive_label(np.array([0, 1, 2]), counts=np.array([5, 5, 5])) == 2
    assert resolve_positive_label(classes) is None  # nothing to go by
    assert resolve_positive_label(classes, "galaxy", counts=[40, 3, 500]) == "galaxy"


# --- checks of the arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("classes", "counts", "message"),
    [
        (np.array([1]), None, "at least two labels"),
        (np.array([]), None, "at least two labels"),
        (np.array([0, 1, 1]), None, "must be distinct"),
        ([0, 1.0, 1], None, "must be distinct"),
        (np.array([[0, 1]]), None, "must be 1-d"),
        (np.array([0, 1, 2]), [1, 2], "one entry per class"),
    ],
)
def test_bad_arguments_raise(classes, counts, message):
    with pytest.raises(ValueError, match=message):
        resolve_positive_label(classes, counts=counts)
