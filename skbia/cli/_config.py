"""Reading the YAML or JSON configuration files of the ``skbia`` command.

A configuration file is a mapping of sections, each a mapping of parameter
names to values, e.g.::

    classifier:          # CNNClassifier parameters
      arch: alexnet
      epochs: 10
      max_pixel: [100, 100, 100]
    augmenter:           # ImageAugmenter parameters; leave out for no augmentation
      n_copies: 25
      rotation: true
    injector:            # LensInjector parameters: synthetic lenses painted into negatives
      n_injected: 500
      pixel_scale: 0.263
      zero_point: 30.0
      psf_fwhm: [1.3, 1.1, 1.0]

``skbia tune`` also reads ``space`` (keyword arguments of
:func:`skbia.tuning.build_search_space`) and ``search`` (keyword arguments of
:class:`skbia.tuning.CNNSearchCV`). Unknown sections are an error, so a typo
never goes unnoticed.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

FIT_SECTIONS = ("classifier", "injector", "augmenter", "online_augmentation")
TUNE_SECTIONS = ("classifier", "injector", "augmenter", "online_augmentation", "space", "search")

# a plain scalar in scientific notation: YAML 1.1 (PyYAML) only reads 1.0e+3 as a float,
# not 1e3, 1e-3 or 1.0e3, which it keeps as strings
_SCIENTIFIC = re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+$")


@functools.cache
def _loader() -> type:
    """Return PyYAML's safe loader, extended to read ``1e3``-style numbers as floats.

    Only unquoted scalars are affected (``'1e3'`` stays a string); nothing is
    evaluated.
    """
    import yaml

    class _Loader(yaml.SafeLoader):
        """``yaml.SafeLoader`` that also resolves ``1e3``, ``1e-3``, ``1.5E3`` as floats."""

    _Loader.add_implicit_resolver("tag:yaml.org,2002:float", _SCIENTIFIC, list("-+0123456789."))
    return _Loader


def read_yaml(text: str) -> Any:
    """Parse YAML text safely, reading scientific notation such as ``1e3`` as numbers.

    Parameters
    ----------
    text : str
        The YAML document.

    Returns
    -------
    content : object
        Mappings, lists, strings, numbers, booleans and None only.

    Raises
    ------
    yaml.YAMLError
        If the text is not valid YAML.
    """
    import yaml

    return yaml.load(text, Loader=_loader())  # a SafeLoader subclass: no Python objects


def yaml_problem(error: Exception) -> str:
    """Describe a PyYAML error in one line: the problem and where it is.

    PyYAML's own message runs over several lines, with the offending line
    quoted and a caret under it.

    Parameters
    ----------
    error : yaml.YAMLError
        The parse or construction error.

    Returns
    -------
    text : str
        E.g. ``"expected ',' or ']', but got '<stream end>' (line 2, column 1)"``.
    """
    problem = getattr(error, "problem", None)
    if not problem:
        return " ".join(str(error).split())
    mark = getattr(error, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return " ".join(f"{problem}{where}".split())


def load_config(path: str | Path, sections: Iterable[str] = FIT_SECTIONS) -> dict[str, dict]:
    """Read a ``.yaml``/``.yml`` or ``.json`` configuration file.

    Parameters
    ----------
    path : str or Path
        The file.
    sections : iterable of str
        The section names allowed at the top level.

    Returns
    -------
    config : dict of str to dict
        One dict per section found in the file (missing sections are absent).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    IsADirectoryError
        If the path is a folder.
    ValueError
        If the file is not UTF-8 text, cannot be parsed, has an unknown
        extension, or its content is not a mapping of known sections to
        mappings; the message is one line naming the file.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"--config: {path} is a folder, not a configuration file.")
    if not path.is_file():
        raise FileNotFoundError(f"Configuration file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"Cannot read the configuration file {path}: it is not UTF-8 text "
                         f"(byte {error.start} is {error.object[error.start:error.start + 1]!r})."
                         ) from error
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        import yaml

        try:
            content = read_yaml(text)
        except yaml.YAMLError as error:
            raise ValueError(
                f"Cannot parse the YAML file {path}: {yaml_problem(error)}"
            ) from error
    elif suffix == ".json":
        try:
            content = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"Cannot parse the JSON file {path}: {error}") from error
    else:
        raise ValueError(
            f"Configuration file {path} must end in .yaml, .yml or .json; got {suffix!r}."
        )
    if content is None:
        content = {}
    return check_config(content, sections, source=str(path))


def check_config(
    content: Any, sections: Iterable[str] = FIT_SECTIONS, *, source: str = "configuration"
) -> dict[str, dict]:
    """Check that ``content`` maps known section names to parameter mappings.

    Parameters
    ----------
    content : object
        The parsed file.
    sections : iterable of str
        Allowed section names.
    source : str, default="configuration"
        Name used in error messages.

    Returns
    -------
    config : dict of str to dict
        A copy of ``content`` (sections with a ``null`` body become empty dicts).
    """
    allowed = tuple(sections)
    if not isinstance(content, Mapping):
        raise ValueError(
            f"{source} must be a mapping of sections {list(allowed)}; "
            f"got {type(content).__name__}."
        )
    unknown = sorted(set(map(str, content)) - set(allowed))
    if unknown:
        raise ValueError(f"{source} has unknown section(s) {unknown}; allowed: {list(allowed)}.")
    config: dict[str, dict] = {}
    for name, body in content.items():
        if body is None:
            body = {}
        if not isinstance(body, Mapping):
            raise ValueError(
                f"Section {name!r} of {source} must be a mapping of parameter names to values; "
                f"got {type(body).__name__}."
            )
        config[str(name)] = {str(key): value for key, value in body.items()}
    return config


def parse_assignment(text: str, default_section: str = "classifier") -> tuple[str, str, Any]:
    """Parse a ``--set`` value ``[section.]name=value``; the value is read as YAML.

    As in configuration files, ``1e3``-style numbers are floats (see
    :func:`read_yaml`); quote a value to keep it a string.

    Parameters
    ----------
    text : str
        E.g. ``"epochs=5"``, ``"augmenter.zoom_range=[0.9, 1.1]"``.
    default_section : str, default="classifier"
        Section used when ``text`` names none.

    Returns
    -------
    section, name, value : str, str, object
    """
    import yaml

    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"Expected [section.]name=value, got {text!r}.")
    section, dot, name = key.rpartition(".")
    if not dot:
        section = default_section
    try:
        value = read_yaml(raw) if raw.strip() else None
    except yaml.YAMLError as error:
        raise ValueError(f"Cannot read the value in {text!r}: {yaml_problem(error)}") from error
    return section, name, value
