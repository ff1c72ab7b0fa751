"""The lens-injection flags of ``skbia fit`` and ``skbia inject``, as LensInjector parameters.

``skbia fit --inject N`` and the camera flags become the ``injector``
configuration section (:class:`skbia.augmentation.LensInjector` parameters);
``skbia inject`` passes the same flags to :func:`skbia.datasets.inject_lenses`.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

# flag attribute -> LensInjector / inject_lenses parameter
PHYSICS_FLAGS = {
    "pixel_scale": "pixel_scale",
    "zero_point": "zero_point",
    "psf_fwhm": "psf_fwhm",
    "psf": "psf",
    "einstein_radius": "einstein_radius",
    "source_magnitude": "source_magnitude",
    "gain": "gain",
    "min_snr": "min_snr",
    "min_magnification": "min_magnification",
}
# flags whose values may be one number or a (low, high) range
_RANGE_FLAGS = ("einstein_radius", "source_magnitude")
# flags that also size the crop of a --recipe, so they are allowed without --inject
RECIPE_CROP_FLAGS = ("pixel_scale", "einstein_radius", "psf_fwhm")
# the settings of the camera that took the images: without them an injection is not theirs
CAMERA_PARAMETERS = ("pixel_scale", "zero_point", "psf_fwhm")
_COUNT = re.compile(r"^[0-9]+$")


def _flag(name: str) -> str:
    return "--" + {"zero_point": "zeropoint"}.get(name, name).replace("_", "-")


def missing_camera_flags(params: dict[str, Any]) -> list[str]:
    """Return the flags of the camera settings that ``params`` lacks.

    Parameters
    ----------
    params : dict
        LensInjector / inject_lenses parameters; PSF kernels stand in for the
        PSF FWHM.

    Returns
    -------
    flags : list of str
        E.g. ``["--zeropoint", "--psf-fwhm"]``; empty when the camera is stated.
    """
    missing = [name for name in CAMERA_PARAMETERS if name not in params]
    if "psf_fwhm" in missing and params.get("psf_kernels") is not None:
        missing.remove("psf_fwhm")
    return [_flag(name) for name in missing]


def physics_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """Return the camera and lens-population flags that were given, as parameters.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of ``skbia fit`` or ``skbia inject``.

    Returns
    -------
    params : dict
        Parameter name -> value; one-element lists become numbers, ranges
        become ``(low, high)`` tuples.

    Raises
    ------
    ValueError
        If a range flag has more than two values.
    """
    params: dict[str, Any] = {}
    for attribute, name in PHYSICS_FLAGS.items():
        value = getattr(args, attribute, None)
        if value is None:
            continue
        if isinstance(value, list):
            if name in _RANGE_FLAGS and len(value) > 2:
                raise ValueError(f"{_flag(name)} takes one value or LOW HIGH; got "
                                 f"{len(value)} values.")
            value = value[0] if len(value) == 1 else (
                tuple(value) if name in _RANGE_FLAGS else list(value)
            )
        params[name] = value
    return params


def parse_inject_count(text: str) -> int | float:
    """Read ``--inject``: a whole number is a count, a decimal fraction a ratio.

    Parameters
    ----------
    text : str
        The flag's value, e.g. ``"500"`` or ``"0.5"``.

    Returns
    -------
    n_injected : int or float

    Raises
    ------
    ValueError
        If the text is neither a non-negative integer nor a positive number.
    """
    text = text.strip()
    if _COUNT.match(text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ValueError(f"--inject must be a count (e.g. 500) or a positive ratio to the "
                         f"number of negatives (e.g. 0.5); got {text!r}.")
    return value


def add_injector_section(args: argparse.Namespace, config: dict[str, dict]) -> None:
    """Merge ``--inject`` and the camera flags into ``config["injector"]``, in place.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``skbia fit`` arguments (commands without the flags are left
        unchanged).
    config : dict of str to dict
        The configuration so far (file and recipe); flags override the file.

    Raises
    ------
    ValueError
        If camera or injection flags are given without ``--inject`` or an
        ``injector`` section, or ``--inject`` is not a count or ratio.
    """
    physics = physics_parameters(args)
    hosts = getattr(args, "inject_hosts", None)
    count = getattr(args, "inject", None)
    if count is None and "injector" not in config:
        crop_flags = RECIPE_CROP_FLAGS if getattr(args, "recipe", None) else ()
        given = [_flag(name) for name in physics if name not in crop_flags]
        given += ["--inject-hosts"] if hosts else []
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            crop = [_flag(name) for name in RECIPE_CROP_FLAGS if name in physics]
            hint = (f" ({', '.join(crop)} also size the crop of --recipe lens-finder)"
                    if crop else "")
            raise ValueError(f"{', '.join(given)} {verb} only to lens injection: add --inject N "
                             f"(or an 'injector' section to the configuration file){hint}.")
        return
    section = config.setdefault("injector", {})
    section.update(physics)
    if hosts is not None:
        section["hosts"] = hosts
    if count is not None:
        section["n_injected"] = parse_inject_count(count)


def check_injector_section(config: dict[str, dict]) -> None:
    """Check that an ``injector`` section states the camera of the images.

    Parameters
    ----------
    config : dict of str to dict
        The merged configuration; without an ``injector`` section nothing is
        checked.

    Raises
    ------
    ValueError
        If the pixel scale, zero point or PSF (FWHM or kernels) is missing:
        the defaults of another survey would make lenses unlike the user's
        images.
    """
    section = config.get("injector")
    if section is None:
        return
    missing = missing_camera_flags(section)
    if missing:
        raise ValueError(
            "lens injection needs the camera settings of the images: give "
            + ", ".join(missing) + " (or set them in the configuration's 'injector' section)."
        )


# inject_lenses arguments that are not settings of the lenses or the camera
_NOT_SETTINGS = ("hosts", "center", "n_jobs", "random_state", "return_metadata")


def check_injection_settings(settings: dict[str, Any], image_shape: tuple[int, ...]) -> None:
    """Check lens-injection settings against the images before any injection or training.

    Every check :func:`skbia.datasets.inject_lenses` makes of its settings
    (ranges, one value per band, Einstein radii that fit the stamps, ...) runs
    here on the images' shape alone, so that a wrong flag fails before the
    command announces or starts any work.

    Parameters
    ----------
    settings : dict
        LensInjector / inject_lenses parameters (others, such as ``n_injected``
        or ``hosts``, are ignored); the camera settings must be present.
    image_shape : tuple of int
        Shape of the image stack, ``(n, height, width[, bands])``.

    Raises
    ------
    ValueError
        With the name of the setting at fault.
    """
    import inspect

    from skbia.datasets import inject_lenses
    from skbia.datasets._injection_params import check_settings

    defaults = {name: parameter.default
                for name, parameter in inspect.signature(inject_lenses).parameters.items()
                if parameter.kind is inspect.Parameter.KEYWORD_ONLY
                and name not in _NOT_SETTINGS}
    given = {name: value for name, value in settings.items() if name in defaults}
    height, width = image_shape[1:3]
    n_bands = image_shape[3] if len(image_shape) > 3 else 1
    check_settings((height, width, n_bands), **{**defaults, **given})
