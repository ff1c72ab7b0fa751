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

``skbia tune`` also reads ``space`` (keyword arguments of
:func:`skbia.tuning.build_search_space`) and ``search`` (keyword arguments of
:class:`skbia.tuning.CNNSearchCV`). Unknown sections are an error, so a typo
never goes unnoticed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

FIT_SECTIONS = ("classifier", "augmenter", "online_augmentation")
TUNE_SECTIONS = ("classifier", "augmenter", "online_augmentation", "space", "search")


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
    ValueError
        If the file cannot be parsed, has an unknown extension, or its
        content is not a mapping of known sections to mappings.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Configuration file not found: {path}")
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        import yaml

        try:
            content = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValueError(f"Cannot parse the YAML file {path}: {error}") from error
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
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as error:
        raise ValueError(f"Cannot read the value in {text!r}: {error}") from error
    return section, name, value
