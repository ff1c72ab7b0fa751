"""plot_images: grid layout, band selection, scalings, and errors."""

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from skbia import plot_images


def _shown(fig, i=0):
    """The array drawn in the i-th panel."""
    return np.asarray(fig.axes[i].images[0].get_array())


def test_grid_of_colour_composites_with_labels(tmp_path):
    images = np.random.default_rng(0).normal(size=(7, 16, 16, 3))
    fig = plot_images(images, labels=np.array([1, 0, 0, 1, 0, 0, 0]), ncols=3, title="seven")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 9  # 3 rows of 3; the last two panels empty
    assert [len(ax.images) for ax in fig.axes] == [1] * 7 + [0, 0]
    assert [ax.get_title() for ax in fig.axes[:3]] == ["1", "0", "0"]
    assert fig.get_suptitle() == "seven"
    rgb = _shown(fig)
    assert rgb.shape == (16, 16, 3) and 0 <= rgb.min() and rgb.max() <= 1
    assert fig.axes[0].images[0].origin == "lower"
    path = tmp_path / "grid.png"
    fig.savefig(path)
    assert path.stat().st_size > 1000


def test_rgb_bands_pick_red_green_blue():
    images = np.zeros((1, 8, 8, 4))
    images[0, :4, :, 3] = 5.0  # only band 3, only in the lower half
    fig = plot_images(images, rgb_bands=(3, 1, 0), scaling="linear")
    rgb = _shown(fig)
    np.testing.assert_array_equal(rgb[:4, :, 0], 1.0)
    np.testing.assert_array_equal(rgb[4:, :, 0], 0.0)
    np.testing.assert_array_equal(rgb[..., 1:], 0.0)


def test_single_band_images_are_grey_with_the_colour_map():
    images = np.arange(2 * 6 * 6, dtype=float).reshape(2, 6, 6)
    fig = plot_images(images, scaling="linear", cmap="viridis", origin="upper")
    shown = _shown(fig, 1)
    assert shown.shape == (6, 6)
    assert shown.min() == 0.0 and shown.max() == 1.0
    assert fig.axes[1].images[0].get_cmap().name == "viridis"
    assert fig.axes[1].images[0].origin == "upper"
    band = plot_images(np.random.default_rng(0).normal(size=(1, 6, 6, 2)), band=-1)
    assert _shown(band).shape == (6, 6)


def test_robust_scaling_clips_at_percentiles_and_limits_can_be_set():
    image = np.linspace(0, 1000, 400).reshape(1, 20, 20)
    shown = _shown(plot_images(image))
    low, high = np.percentile(image, [0.5, 99.5])
    np.testing.assert_allclose(shown, np.clip((image[0] - low) / (high - low), 0, 1))
    fixed = _shown(plot_images(image, vmin=100, vmax=300))
    np.testing.assert_allclose(fixed, np.clip((image[0] - 100) / 200, 0, 1))


def test_asinh_keeps_each_pixels_colour_and_maps_the_sky_to_black():
    ramp = np.linspace(0.0, 3.0, 64).reshape(8, 8)
    images = np.stack([ramp, 2 * ramp, 3 * ramp], axis=-1)[None]  # bands g, r, i
    rgb = _shown(plot_images(images, scaling="asinh", vmin=0, vmax=10))
    lit = rgb[..., 2] > 0
    np.testing.assert_allclose(rgb[lit][:, 0] / rgb[lit][:, 2], 3.0)  # red = band 2
    np.testing.assert_allclose(rgb[lit][:, 1] / rgb[lit][:, 2], 2.0)
    assert rgb[0, 0].tolist() == [0.0, 0.0, 0.0] and rgb.max() <= 1.0
    # bright pixels saturate with their hue kept: the largest channel is 1
    bright = _shown(plot_images(100 * images, scaling="asinh", vmin=0, vmax=10))
    assert np.isclose(bright[-1, -1].max(), 1.0)
    np.testing.assert_allclose(bright[-1, -1], [1.0, 2 / 3, 1 / 3])


def test_nan_pixels_are_drawn_black():
    images = np.random.default_rng(0).normal(size=(2, 10, 10, 3))
    images[0, 3, 4, :] = np.nan
    for scaling in ("robust", "asinh", "linear"):
        rgb = _shown(plot_images(images, scaling=scaling))
        assert np.isfinite(rgb).all()
        assert rgb[3, 4].tolist() == [0.0, 0.0, 0.0]


def test_draws_into_a_given_subfigure():
    outer = Figure()
    left, right = outer.subfigures(1, 2)
    returned = plot_images(np.zeros((4, 8, 8)), figure=right, ncols=2)
    assert returned is right
    assert len(right.axes) == 4 and len(left.axes) == 0


@pytest.mark.parametrize(
    ("images", "kwargs", "error", "message"),
    [
        (np.zeros((2, 8, 8, 2)), {}, ValueError, "2 bands: pass band=0 or band=1"),
        (np.zeros((2, 8, 8, 3)), {"band": 3}, ValueError, "band=3 is not a band of 3-band"),
        (np.zeros((2, 8, 8, 3)), {"rgb_bands": (0, 1)}, ValueError, "rgb_bands must be three"),
        (np.zeros((2, 8, 8, 3)), {"rgb_bands": (0, 1, 5)}, ValueError, "names bands that 3-band"),
        (np.zeros((2, 8, 8, 3)), {"scaling": "log"}, ValueError, "scaling must be one of"),
        (np.zeros((2, 8, 8, 3)), {"labels": [1]}, ValueError, "one label per image"),
        (np.zeros((2, 8, 8, 3)), {"vmin": [0, 1]}, ValueError, "vmin must be one finite number"),
        (np.zeros((2, 8, 8, 3)), {"ncols": 0}, ValueError, "ncols must be a positive integer"),
        (np.zeros((2, 8, 8, 3)), {"origin": "top"}, ValueError, 'origin must be "lower"'),
        (np.zeros((2, 8, 8, 3, 1)), {}, ValueError, r"must be an \(n, H, W\)"),
        (np.zeros((2, 8, 8)).astype(str), {}, TypeError, "real numeric pixel values"),
    ],
)
def test_bad_arguments_raise_clear_errors(images, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_images(images, **kwargs)


def test_importing_plotting_loads_neither_pyplot_nor_tensorflow():
    code = (
        "import sys, skbia.plotting;"
        "bad = [m for m in ('matplotlib.pyplot', 'tensorflow', 'keras') if m in sys.modules];"
        "sys.exit(f'imported {bad}' if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout
