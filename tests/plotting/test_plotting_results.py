import numpy as np
import pytest
from matplotlib.figure import Figure

from skbia.plotting._results import plot_history, plot_roc_pr


@pytest.fixture
def history():
    return {
        "loss": [0.7, 0.5, 0.4],
        "val_loss": [0.72, 0.6, 0.58],
        "binary_accuracy": [0.5, 0.7, 0.8],
        "val_binary_accuracy": [0.5, 0.6, 0.65],
        "learning_rate": [0.01, 0.01, 0.01],
    }


def test_plot_history_panels_and_lines(history):
    fig = plot_history(history)
    assert isinstance(fig, Figure)
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == ["Loss", "Binary accuracy"]
    for ax, key in zip(axes, ["loss", "binary_accuracy"], strict=True):
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == ["training", "validation"]
        np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
        np.testing.assert_allclose(lines[0].get_ydata(), history[key])
        np.testing.assert_allclose(lines[1].get_ydata(), history[f"val_{key}"])
        assert ax.get_xlabel() == "epoch"
        assert ax.get_legend() is not None


def test_plot_history_selected_metric_and_object(history):
    class Fitted:
        history_ = history

    fig = plot_history(Fitted(), metrics=["loss"], title=None)
    assert len(fig.get_axes()) == 1
    assert fig._suptitle is None


def test_plot_history_errors(history):
    with pytest.raises(ValueError, match="no metric"):
        plot_history(history, metrics=["f1_score"])
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_history({})


def test_plot_roc_pr():
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(10, int), np.zeros(90, int)]
    s = rng.normal(size=100) + 2 * y
    fig = plot_roc_pr(y, s, name="model")
    roc_ax, pr_ax = fig.get_axes()
    assert roc_ax.get_title() == "ROC curve" and pr_ax.get_title() == "Precision-recall curve"
    assert roc_ax.get_xlabel() == "False-positive rate"
    assert pr_ax.get_xlabel() == "Recall" and pr_ax.get_ylabel() == "Precision"
    roc_labels = [t.get_text() for t in roc_ax.get_legend().get_texts()]
    assert roc_labels[0].startswith("model (AUC =")
    assert any("Chance" in label for label in roc_labels)
    assert "FPR 1%, 5%, 10%" in roc_labels
    # the ROC curve runs from (0, 0) to (1, 1)
    curve = roc_ax.get_lines()[0]
    assert (curve.get_xdata()[0], curve.get_ydata()[-1]) == (0, 1)
    assert fig._suptitle.get_text() == "10 positives, 90 negatives"


def test_plot_roc_pr_needs_both_classes():
    with pytest.raises(ValueError, match="both positives"):
        plot_roc_pr([1, 1], [0.2, 0.3])


class _FittedStandIn:
    """The attributes plot_tsne reads from a fitted CNNClassifier: model_ and fill_value."""

    fill_value = None

    def __init__(self, model):
        self.model_ = model


@pytest.fixture(scope="module")
def tiny_model():
    keras = pytest.importorskip("keras")
    inputs = keras.Input((8, 8, 2))
    x = keras.layers.Flatten()(inputs)
    features = keras.layers.Dense(5, activation="relu", name="features")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(features)
    return keras.Model(inputs, outputs)


def test_penultimate_features_and_tsne(tiny_model):
    from skbia.plotting._results import penultimate_features, plot_tsne

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 8, 8, 2)).astype(">f4")  # big-endian, as from FITS
    y = np.r_[np.ones(6, int), np.zeros(24, int)]
    estimator = _FittedStandIn(tiny_model)
    features = penultimate_features(estimator, X)
    assert features.shape == (30, 5)
    expected = tiny_model.get_layer("features")(X.astype("f4").reshape(30, -1))
    np.testing.assert_allclose(features, np.asarray(expected), rtol=1e-5, atol=1e-6)

    fig = plot_tsne(estimator, X, y, class_names={1: "lens", 0: "other"})
    (ax,) = fig.get_axes()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("t-SNE 1", "t-SNE 2")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["other (24)", "lens (6)"]  # the large class is drawn first
    assert [len(c.get_offsets()) for c in ax.collections] == [24, 6]
    assert "perplexity 10" in ax.get_title()  # min(30, (30 - 1) / 3)


def test_tsne_errors(tiny_model):
    from skbia.plotting._results import penultimate_features, plot_tsne

    X = np.zeros((10, 8, 8, 2), "f4")
    estimator = _FittedStandIn(tiny_model)
    with pytest.raises(ValueError, match="perplexity"):
        plot_tsne(estimator, X, np.r_[np.ones(5), np.zeros(5)], perplexity=20)
    with pytest.raises(ValueError, match="inconsistent lengths"):
        plot_tsne(estimator, X, np.ones(4))
    with pytest.raises(ValueError, match="call fit first"):
        penultimate_features(_FittedStandIn(None), X)
    X[3, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        penultimate_features(estimator, X)


@pytest.mark.parametrize(("n_images", "limited"), [(40, True), (300, True), (301, False)])
def test_small_tsne_maps_run_on_one_openmp_thread(n_images, limited):
    # spinning OpenMP threads fight a Keras backend's pool after a prediction
    from threadpoolctl import threadpool_info

    from skbia.plotting._results import _openmp_threads_for_tsne

    def openmp_threads():
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}

    before = openmp_threads()
    if not before:
        pytest.skip("no OpenMP runtime loaded")
    with _openmp_threads_for_tsne(n_images):
        inside = openmp_threads()
    assert inside == ({1} if limited else before)
    assert openmp_threads() == before  # restored
