"""Random affine geometry for image augmentation: compose, then resample once.

Shift, flips, rotation, zoom and skew of one image are composed into a single
2x3 affine matrix about the image centre and applied in one OpenCV
``warpAffine`` call for all channels together (groups of at most 4 channels
for more bands), so every band gets exactly the same geometry and the pixels
are interpolated only once.

Coordinates are ``(x, y) = (column, row)`` with pixel centres at integer
positions; the centre of an ``H x W`` image is ``((W - 1) / 2, (H - 1) / 2)``.
With that convention a flip, or a rotation by a multiple of 90 degrees of a
square image, maps pixel centres exactly onto pixel centres, so those
transforms (and integer shifts) are exact permutations of the pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Border handling, named as in scipy.ndimage (and so as in Keras' ImageDataGenerator).
# scipy "reflect" (d c b a | a b c d | d c b a) is OpenCV's BORDER_REFLECT;
# scipy "mirror" (d c b | a b c d | c b a) is OpenCV's BORDER_REFLECT_101.
# OpenCV's BORDER_WRAP repeats the image with period W (scipy's "grid-wrap");
# scipy's legacy "wrap" overlaps the first and last pixel (period W - 1).
FILL_MODES: dict[str, int] = {
    "constant": cv2.BORDER_CONSTANT,
    "nearest": cv2.BORDER_REPLICATE,
    "reflect": cv2.BORDER_REFLECT,
    "mirror": cv2.BORDER_REFLECT_101,
    "wrap": cv2.BORDER_WRAP,
}

INTERPOLATIONS: dict[str, int] = {
    "nearest": cv2.INTER_NEAREST,
    "bilinear": cv2.INTER_LINEAR,
    "bicubic": cv2.INTER_CUBIC,
}

# OpenCV warps 1, 3 or 4 channels per call correctly. More bands are warped in
# groups of those sizes with the same matrix; 2-channel float images are avoided
# because OpenCV 5.0's warpAffine gets them wrong (verified against scipy).
_GROUP_SIZES = (4, 3, 1)


def channel_groups(channels: int) -> list[slice]:
    """Split ``channels`` bands into the fewest groups of 4, 3 or 1 channels.

    Parameters
    ----------
    channels : int
        Number of bands.

    Returns
    -------
    groups : list of slice
        Consecutive channel ranges covering ``range(channels)``.
    """
    sizes = [4] * (channels // 4)
    remainder = channels % 4
    if remainder == 2:
        sizes = sizes[:-1] + [3, 3] if sizes else [1, 1]
    elif remainder:
        sizes.append(remainder)
    bounds = np.cumsum([0, *sizes])
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


# cos/sin of the exact quarter turns, so that these rotations stay exact.
_QUARTER_TURNS = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])


@dataclass(frozen=True)
class GeometrySettings:
    """Which random transforms to draw and their ranges.

    Attributes
    ----------
    shift : (int, int)
        Maximum absolute shift in pixels along (rows, columns); integer shifts
        are drawn uniformly from ``[-max, max]``.
    horizontal, vertical : bool
        Flip left-right / up-down, each with probability 1/2.
    rotation : bool or "90"
        True: angle uniform in [0, 360) degrees. "90": a random multiple of
        90 degrees (exact). False: no rotation.
    zoom_range : (float, float) or None
        Magnification drawn uniformly from this range (> 1 enlarges the content).
    skew_angle : float
        Maximum absolute shear angle in degrees, drawn independently along x and y.
    """

    shift: tuple[int, int] = (0, 0)
    horizontal: bool = False
    vertical: bool = False
    rotation: bool | str = False
    zoom_range: tuple[float, float] | None = None
    skew_angle: float = 0.0

    @property
    def enabled(self) -> bool:
        """Whether any geometric transform is switched on."""
        return bool(
            any(self.shift)
            or self.horizontal
            or self.vertical
            or self.rotation
            or self.zoom_range is not None
            or self.skew_angle
        )


def random_linear_parts(
    rng: np.random.Generator, n: int, settings: GeometrySettings
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` random forward transforms ``q = A p + t`` about the image centre.

    The linear part is ``A = rotation @ zoom @ skew @ flips``: the image is
    flipped, sheared, zoomed and rotated about its centre, then shifted by
    ``t`` (so shifts are along the output's rows and columns).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        Number of transforms.
    settings : GeometrySettings
        Enabled transforms and their ranges.

    Returns
    -------
    linear : ndarray of shape (n, 2, 2)
        The linear parts ``A`` acting on ``(x, y)``.
    shifts : ndarray of shape (n, 2)
        The translations ``t = (tx, ty)`` in pixels.
    """
    linear = np.broadcast_to(np.eye(2), (n, 2, 2)).copy()
    if settings.horizontal:
        linear[rng.random(n) < 0.5, :, 0] *= -1.0
    if settings.vertical:
        linear[rng.random(n) < 0.5, :, 1] *= -1.0
    if settings.skew_angle:
        limit = np.deg2rad(settings.skew_angle)
        shear = np.tan(rng.uniform(-limit, limit, size=(n, 2)))
        skew = np.broadcast_to(np.eye(2), (n, 2, 2)).copy()
        skew[:, 0, 1] = shear[:, 0]
        skew[:, 1, 0] = shear[:, 1]
        linear = skew @ linear
    if settings.zoom_range is not None:
        linear *= rng.uniform(*settings.zoom_range, size=n)[:, None, None]
    if settings.rotation:
        if settings.rotation == "90":
            cos, sin = _QUARTER_TURNS[rng.integers(0, 4, size=n)].T
        else:
            angle = np.deg2rad(rng.uniform(0.0, 360.0, size=n))
            cos, sin = np.cos(angle), np.sin(angle)
        rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
        linear = rotation @ linear
    shifts = np.zeros((n, 2))
    max_dy, max_dx = settings.shift
    if max_dx:
        shifts[:, 0] = rng.integers(-max_dx, max_dx, endpoint=True, size=n)
    if max_dy:
        shifts[:, 1] = rng.integers(-max_dy, max_dy, endpoint=True, size=n)
    return linear, shifts


def inverse_maps(linear: np.ndarray, shifts: np.ndarray, height: int, width: int) -> np.ndarray:
    """Turn forward transforms about the centre into OpenCV inverse maps.

    Parameters
    ----------
    linear : ndarray of shape (n, 2, 2)
        Forward linear parts ``A`` (must be invertible).
    shifts : ndarray of shape (n, 2)
        Forward translations ``t``.
    height, width : int
        Image size.

    Returns
    -------
    maps : ndarray of shape (n, 2, 3)
        Matrices ``M`` with ``source = M @ (x, y, 1)`` for each output pixel
        ``(x, y)``, for ``cv2.warpAffine(..., flags=WARP_INVERSE_MAP)``.
    """
    a, b = linear[:, 0, 0], linear[:, 0, 1]
    c, d = linear[:, 1, 0], linear[:, 1, 1]
    det = a * d - b * c
    inverse = np.stack([np.stack([d, -b], -1), np.stack([-c, a], -1)], -2) / det[:, None, None]
    centre = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
    offset = centre - np.einsum("nij,nj->ni", inverse, centre + shifts)
    return np.concatenate([inverse, offset[:, :, None]], axis=2)


def warp_images(
    images: np.ndarray,
    sources: np.ndarray,
    maps: np.ndarray,
    *,
    fill: str = "nearest",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Warp ``images[sources[i]]`` with ``maps[i]``, all channels in one pass.

    Parameters
    ----------
    images : ndarray of shape (n, H, W, C), float32
        Source images.
    sources : ndarray of shape (m,), int
        Index of the source image of each output.
    maps : ndarray of shape (m, 2, 3)
        Inverse maps from :func:`inverse_maps`.
    fill : {"constant", "nearest", "reflect", "mirror", "wrap"}, default="nearest"
        How pixels outside the image are filled (scipy.ndimage names).
    fill_value : float, default=0.0
        Value outside the image when ``fill="constant"``.
    interpolation : {"nearest", "bilinear", "bicubic"}, default="bilinear"
        Resampling kernel.
    out : ndarray of shape (m, H, W, C), float32, C-contiguous, optional
        Where to write the result.

    Returns
    -------
    warped : ndarray of shape (m, H, W, C), float32
        ``out`` if given.
    """
    _, height, width, channels = images.shape
    if out is None:
        out = np.empty((len(sources), height, width, channels), dtype=np.float32)
    exact = pixel_permutation_maps(maps)
    if exact.all():
        return _remap_exactly(images, sources, maps, fill, fill_value, out)
    if exact.any():
        _remap_exactly(
            images, sources[exact], maps[exact], fill, fill_value, out, np.flatnonzero(exact)
        )
        inexact = np.flatnonzero(~exact)
        out[inexact] = warp_images(
            images,
            sources[inexact],
            maps[inexact],
            fill=fill,
            fill_value=fill_value,
            interpolation=interpolation,
        )
        return out
    flags = INTERPOLATIONS[interpolation] | cv2.WARP_INVERSE_MAP
    border = FILL_MODES[fill]
    value = (float(fill_value),) * 4
    size = (width, height)
    if channels in _GROUP_SIZES:
        for i, (source, matrix) in enumerate(zip(sources, maps, strict=True)):
            cv2.warpAffine(
                images[source],
                matrix,
                size,
                dst=out[i],
                flags=flags,
                borderMode=border,
                borderValue=value,
            )
        return out
    groups = [
        (group, np.ascontiguousarray(images[..., group])) for group in channel_groups(channels)
    ]
    for i, (source, matrix) in enumerate(zip(sources, maps, strict=True)):
        for group, bands in groups:
            warped = cv2.warpAffine(
                bands[source], matrix, size, flags=flags, borderMode=border, borderValue=value
            )
            out[i, :, :, group] = warped.reshape(height, width, -1)
    return out


def pixel_permutation_maps(maps: np.ndarray, *, atol: float = 1e-9) -> np.ndarray:
    """Tell which inverse maps move whole pixels (flips, quarter turns, integer shifts).

    Parameters
    ----------
    maps : ndarray of shape (m, 2, 3)
        Inverse maps from :func:`inverse_maps`.
    atol : float, default=1e-9
        Tolerance of the test that an entry is an integer.

    Returns
    -------
    exact : ndarray of shape (m,), bool
        True where the linear part is a signed permutation matrix and the
        offset is integer, so that every output pixel is one input pixel.
    """
    rounded = np.rint(maps)
    integral = np.all(np.abs(maps - rounded) <= atol, axis=(1, 2))
    linear = np.abs(rounded[:, :, :2])
    signed_permutation = np.all(linear.sum(axis=1) == 1, axis=1) & np.all(
        linear.sum(axis=2) == 1, axis=1
    )
    return integral & signed_permutation


def _fold_indices(index: np.ndarray, size: int, fill: str) -> np.ndarray:
    """Map out-of-range pixel indices into ``[0, size)`` as the fill mode extends the image."""
    if fill in ("nearest", "constant"):
        return np.clip(index, 0, size - 1)
    if fill == "wrap":
        return np.mod(index, size)
    if fill == "reflect":  # a b c | c b a (edge pixel repeated)
        folded = np.mod(index, 2 * size)
        return np.where(folded >= size, 2 * size - 1 - folded, folded)
    if size == 1:  # "mirror": c b | a b c (edge pixel not repeated)
        return np.zeros_like(index)
    folded = np.mod(index, 2 * size - 2)
    return np.where(folded >= size, 2 * size - 2 - folded, folded)


def _remap_exactly(images, sources, maps, fill, fill_value, out, rows=None) -> np.ndarray:
    """Apply pixel-permutation maps by indexing: no interpolation, bit-exact pixels."""
    _, height, width, _ = images.shape
    ys, xs = np.mgrid[:height, :width]
    rounded = np.rint(maps).astype(np.int64)
    rows = np.arange(len(sources)) if rows is None else rows
    for row, source, matrix in zip(rows, sources, rounded, strict=True):
        source_x = matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2]
        source_y = matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2]
        inside = (source_x >= 0) & (source_x < width) & (source_y >= 0) & (source_y < height)
        out[row] = images[source][
            _fold_indices(source_y, height, fill), _fold_indices(source_x, width, fill)
        ]
        if fill == "constant":
            out[row][~inside] = fill_value
    return out
