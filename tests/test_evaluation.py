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


def test_tpr0_and_tpr10_by_hand():
    # 12 negatives scored 1..12; positives at 12.5, 12, 10.5, 3.5 and 2
    negatives = np.arange(1.0, 13.0)
    positives = np.array([12.5, 12.0, 10.5, 3.5, 2.0])
    y = np.r_[np.zeros(12, int), np.ones(5, int)]
    s = np.r_[negatives, positives]
    metrics = evaluate_scores(y, s)
    # highest negative 12: only 12.5 is strictly above (12.0 is a tie, not counted)
    assert metrics["tpr0"] == pytest.approx(1 / 5)
    # 10th highest negative is 3: 12.5, 12, 10.5 and 3.5 are above it
    assert metrics["tpr10"] == pytest.approx(4 / 5)


def test_tpr10_counts_tied_negatives_and_ties_with_positives():
    # negatives: 5 at 0.9 and 10 at 0.5 -> the 10th highest negative is 0.5
    y = np.r_[np.zeros(15, int), np.ones(4, int)]
    s = np.r_[np.full(5, 0.9), np.full(10, 0.5), [0.95, 0.9, 0.7, 0.5]]
    metrics = evaluate_scores(y, s)
    assert metrics["tpr0"] == pytest.approx(1 / 4)  # only 0.95 beats every negative
    assert metrics["tpr10"] == pytest.approx(3 / 4)  # 0.5 ties the 10th negative


def test_tpr_with_fewer_than_10_negatives_and_perfect_scores():
    y = np.r_[np.zeros(9, int), np.ones(2, int)]
    s = np.r_[np.linspace(0, 0.8, 9), [0.9, 0.05]]
    metrics = evaluate_scores(y, s)
    assert metrics["tpr0"] == pytest.approx(0.5)
    assert np.isnan(metrics["tpr10"])
    y = np.r_[np.zeros(10, int), np.ones(2, int)]
    metrics = evaluate_scores(y, np.r_[np.zeros(10), [1.0, 1.0]])
    assert metrics["tpr0"] == metrics["tpr10"] == 1.0


@pytest.mark.parametrize("separation", [1.5, 3.0])
def test_tpr0_and_tpr10_agree_with_the_roc_curve(separation):
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(30, int), np.zeros(300, int)]
    s = rng.normal(size=len(y)) + separation * y
    metrics = evaluate_scores(y, s)
    # 300 negatives: fewer than 10 false positives means a rate of at most 9/300
    assert metrics["tpr0"] == pytest.approx(recall_at_fpr(y, s, 0.0)[0])
    assert metrics["tpr10"] == pytest.approx(recall_at_fpr(y, s, 9 / 300)[0])
    assert metrics["tpr0"] < metrics["tpr10"] < 1


def test_recall_at_tenth_of_a_percent_needs_1000_negatives():
    rng = np.random.default_rng(3)
    for n_negative, reported in [(999, False), (1000, True)]:
        y = np.r_[np.ones(20, int), np.zeros(n_negative, int)]
        s = rng.normal(size=len(y)) + 3 * y
        metrics = evaluate_scores(y, s)
        assert ("recall_at_fpr=0.001" in metrics) is reported
    # with 1000 negatives it allows exactly one false positive
    assert metrics["recall_at_fpr=0.001"] == recall_at_fpr(y, s, 0.001)[0]
    assert metrics["recall_at_fpr=0.001"] >= metrics["tpr0"]
    assert list(metrics)[7:11] == [
        "recall_at_fpr=0.001",
        "recall_at_fpr=0.01",
        "recall_at_fpr=0.05",
        "recall_at_fpr=0.1",
    ]
    # asked for in fpr_levels, a level is reported whatever the number of negatives
    small = evaluate_scores([0, 0, 1], [0.1, 0.2, 0.3], fpr_levels=(0.001,))
    assert small["recall_at_fpr=0.001"] == 1.0
    assert "recall_at_fpr=0.001" not in evaluate_scores(
        [0, 0, 1], [0.1, 0.2, 0.3], low_fpr_levels=()
    )


def test_existing_keys_and_order_without_prevalence(scores):
    y, s = scores
    assert list(evaluate_scores(y, s)) == [
        "n_positive",
        "n_negative",
        "roc_auc",
        "average_precision",
        "positive_fraction",
        "tpr0",
        "tpr10",
        "recall_at_fpr=0.01",
        "recall_at_fpr=0.05",
        "recall_at_fpr=0.1",
    ]


def test_purity_for_a_stated_prevalence_by_hand():
    # 100 negatives scored 0..99, 4 positives: 150, 98.5, 94.5, 50
    y = np.r_[np.zeros(100, int), np.ones(4, int)]
    s = np.r_[np.arange(100.0), [150.0, 98.5, 94.5, 50.0]]
    p = 0.01
    metrics = evaluate_scores(y, s, fpr_levels=(0.0, 0.01, 0.05), prevalence=p)
    recalls = [metrics[f"recall_at_fpr={level:g}"] for level in (0, 0.01, 0.05)]
    assert recalls == [0.25, 0.5, 0.75]
    assert metrics["prevalence"] == p
    assert metrics["purity_at_fpr=0"] == 1.0  # no false positive allowed
    assert metrics["purity_at_fpr=0.01"] == pytest.approx(p * 0.5 / (p * 0.5 + 0.99 * 0.01))
    assert metrics["purity_at_fpr=0.05"] == pytest.approx(p * 0.75 / (p * 0.75 + 0.99 * 0.05))
    assert list(metrics)[-4:] == [
        "prevalence",
        "purity_at_fpr=0",
        "purity_at_fpr=0.01",
        "purity_at_fpr=0.05",
    ]
    # a rarer class gives a lower purity at the same operating point
    rarer = evaluate_scores(y, s, fpr_levels=(0.01,), prevalence=1e-4)
    assert rarer["purity_at_fpr=0.01"] < metrics["purity_at_fpr=0.01"]
    assert rarer["purity_at_fpr=0.01"] == pytest.approx(0.5e-4 / (0.5e-4 + 0.9999 * 0.01))


def test_purity_undefined_when_nothing_is_selected():
    y = np.r_[np.zeros(5, int), np.ones(2, int)]
    s = np.r_[np.ones(5), [0.5, 0.2]]  # every positive below every negative
    metrics = evaluate_scores(y, s, fpr_levels=(0.0, 0.1), prevalence=0.5)
    assert metrics["recall_at_fpr=0"] == 0.0 and np.isnan(metrics["purity_at_fpr=0"])
    assert metrics["purity_at_fpr=0.1"] == 0.0


@pytest.mark.parametrize("prevalence", [0, 1, -0.1, 1.5, np.nan, True, "1%", [0.1]])
def test_bad_prevalence(prevalence):
    with pytest.raises(ValueError, match=r"prevalence must be a number in \(0, 1\)"):
        evaluate_scores([0, 1], [0.1, 0.2], prevalence=prevalence)


def test_format_metrics_new_labels():
    y = np.r_[np.ones(20, int), np.zeros(1000, int)]
    s = np.random.default_rng(0).normal(size=len(y)) + 3 * y
    lines = format_metrics(evaluate_scores(y, s, prevalence=1e-4)).splitlines()
    assert any(line.startswith("recall before the first false positive (TPR0)") for line in lines)
    assert any(line.startswith("recall before the 10th false positive (TPR10)") for line in lines)
    assert any(line.startswith("recall at 0.1% false-positive rate") for line in lines)
    assert any(line.startswith("recall at 10% false-positive rate") for line in lines)
    assert any(line.startswith("purity at 1% false-positive rate") for line in lines)
    prevalence = [line for line in lines if line.startswith("assumed prevalence")]
    assert prevalence and prevalence[0].split()[-1] == "0.0001"
    table = format_metrics(evaluate_scores([0, 0, 1], [0.1, 0.2, 0.3]))
    tpr10 = [line for line in table.splitlines() if "(TPR10)" in line]
    assert tpr10[0].split()[-1] == "nan"
