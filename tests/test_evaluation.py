import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from skbia.evaluation import evaluate_scores, format_metrics, recall_at_fpr


@pytest.fixture
def scores():
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(30, int), np.zeros(300, int)]
    s = rng.normal(size=len(y)) + 1.5 * y
    return y, s


def test_matches_sklearn(scores):
    y, s = scores
    metrics = evaluate_scores(y, s)
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(y, s))
    assert metrics["average_precision"] == pytest.approx(average_precision_score(y, s))
    assert metrics["positive_fraction"] == pytest.approx(30 / 330)
    assert (metrics["n_positive"], metrics["n_negative"]) == (30, 300)
    assert list(metrics)[-3:] == ["recall_at_fpr=0.01", "recall_at_fpr=0.05", "recall_at_fpr=0.1"]


def test_recall_at_fpr_by_hand():
    # negatives 0.1..0.9 (9 of them), positives at 0.95, 0.5 and 0.05
    negatives = np.linspace(0.1, 0.9, 9)
    y = np.r_[np.zeros(9, int), np.ones(3, int)]
    s = np.r_[negatives, 0.95, 0.5, 0.05]
    # threshold 0.95: 1 of 3 positives and no negative
    assert recall_at_fpr(y, s, 0.0) == (pytest.approx(1 / 3), 0.95)
    # threshold 0.5 lets in the 5 negatives 0.5..0.9 -> fpr 5/9
    recall, threshold = recall_at_fpr(y, s, 5 / 9)
    assert recall == pytest.approx(2 / 3) and threshold == 0.5
    assert recall_at_fpr(y, s, 1.0)[0] == 1.0


def test_recall_at_fpr_is_monotone_and_on_the_curve(scores):
    y, s = scores
    fpr, tpr, _ = roc_curve(y, s)
    recalls = [recall_at_fpr(y, s, level)[0] for level in np.linspace(0, 1, 21)]
    assert np.all(np.diff(recalls) >= 0)
    for level, recall in zip(np.linspace(0, 1, 21), recalls, strict=True):
        assert recall == pytest.approx(np.max(tpr[fpr <= level + 1e-12]))


def test_perfect_and_string_labels():
    y = np.array(["other"] * 5 + ["lens"] * 2)
    s = np.r_[np.zeros(5), np.ones(2)]
    metrics = evaluate_scores(y, s, pos_label="lens", fpr_levels=(0.0,))
    assert metrics["roc_auc"] == 1.0 and metrics["recall_at_fpr=0"] == 1.0


@pytest.mark.parametrize(
    ("y", "s", "match"),
    [
        ([0, 0, 0], [0.1, 0.2, 0.3], "both positives"),
        ([0, 1], [0.1], "inconsistent lengths"),
        ([0, 1], [0.1, np.nan], "NaN"),
        ([[0, 1]], [[0.1, 0.2]], "1-d"),
    ],
)
def test_bad_input(y, s, match):
    with pytest.raises(ValueError, match=match):
        evaluate_scores(y, s)


def test_bad_level():
    with pytest.raises(ValueError, match="max_fpr"):
        recall_at_fpr([0, 1], [0.1, 0.2], 1.5)


def test_format_metrics(scores):
    y, s = scores
    table = format_metrics(evaluate_scores(y, s), title="held-out")
    lines = table.splitlines()
    assert lines[0] == "held-out"
    assert any(line.startswith("ROC AUC") for line in lines)
    assert any("recall at 5% false-positive rate" in line for line in lines)
    assert any(line.split()[-1] == "30" and line.startswith("positives") for line in lines)
