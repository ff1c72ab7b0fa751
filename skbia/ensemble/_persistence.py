"""One folder per saved ensemble: a data-only JSON manifest and one ``.keras`` file per member.

The manifest is plain JSON read without evaluating anything: it names no
class, module or file (member files are always ``member_<k>.keras``, ``k`` =
1, 2, ...), and every entry is checked for type and consistency before any
member is loaded. The members are loaded by :meth:`skbia.CNNClassifier.load`.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from skbia.ensemble._averaging import AVERAGES
from skbia.ensemble._members import non_sampler_steps, unwrap
from skbia.utils import is_integer, is_real

MANIFEST_NAME = "ensemble.json"
FORMAT_NAME = "skbia.FoldEnsembleClassifier"
FORMAT_VERSION = 1
_MEMBER_FILE = re.compile(r"^member_[1-9][0-9]*\.keras$")
_CLASS_DTYPE_KINDS = "biufU"
_MANIFEST_KEYS = {
    "format", "format_version", "skbia_version", "n_members", "average", "classes",
    "classes_dtype", "params", "n_images", "held_out", "oof_proba",
}
_PARAM_KEYS = {"n_folds", "validation", "shuffle", "random_state", "verbose"}


def member_file(number: int) -> str:
    """Return the file name of member ``number`` (1-based)."""
    return f"member_{number}.keras"


# ---------------------------------------------------------------------------- saving
def check_folder(path: Any, *, overwrite: bool = False) -> Path:
    """Check that an ensemble can be saved to ``path`` (see ``check_save_path``)."""
    folder = Path(path)
    if folder.suffix == ".keras":
        raise ValueError(
            f"An ensemble is saved to a folder, not a .keras file; got {str(folder)!r}."
        )
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{str(folder)!r} is a file; an ensemble is saved to a folder.")
    if folder.is_dir() and any(folder.iterdir()):
        if not (folder / MANIFEST_NAME).is_file():
            raise FileExistsError(
                f"The folder {str(folder)!r} is not empty and holds no saved ensemble; choose "
                "a new or empty folder."
            )
        if not overwrite:
            raise FileExistsError(
                f"The folder {str(folder)!r} already holds a saved ensemble; allow overwriting "
                "to replace it."
            )
    return folder


def _savable_classifier(member: Any, number: int) -> Any:
    from skbia import CNNClassifier

    _, final, _ = unwrap(member)
    transformers = non_sampler_steps(member)
    if not isinstance(final, CNNClassifier) or transformers:
        reason = (
            f"its step(s) {', '.join(map(repr, transformers))} transform images at prediction "
            "time" if isinstance(final, CNNClassifier)
            else f"it ends in a {type(final).__name__}, not a CNNClassifier"
        )
        raise TypeError(
            f"Cannot save member {number} as a .keras file: {reason}. save() stores "
            "CNNClassifier members (alone or after samplers only); save this ensemble with "
            "joblib.dump instead."
        )
    return final


def _class_list(classes: np.ndarray) -> tuple[list, str]:
    if classes.dtype.kind not in _CLASS_DTYPE_KINDS:
        raise TypeError(
            f"Cannot save classes of dtype {classes.dtype}: save() stores boolean, integer, "
            "float or string labels; save this ensemble with joblib.dump instead."
        )
    return classes.tolist(), classes.dtype.str


def save_ensemble(ensemble: Any, path: Any, *, overwrite: bool = False) -> Path:
    """Write a fitted ensemble to a folder (see ``FoldEnsembleClassifier.save``)."""
    from skbia import __version__

    check_is_fitted(ensemble)
    classifiers = [
        _savable_classifier(member, number)
        for number, member in enumerate(ensemble.estimators_, start=1)
    ]
    classes, classes_dtype = _class_list(np.asarray(ensemble.classes_))
    params = ensemble.get_params(deep=False)
    random_state = params["random_state"]
    if isinstance(random_state, np.random.RandomState):
        from skbia.utils import seed_from_random_state

        random_state = seed_from_random_state(random_state)
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "skbia_version": __version__,
        "n_members": len(classifiers),
        "average": ensemble.average,
        "classes": classes,
        "classes_dtype": classes_dtype,
        "params": {
            "n_folds": int(params["n_folds"]),
            "validation": params["validation"],
            "shuffle": bool(params["shuffle"]),
            "random_state": random_state,
            "verbose": int(params["verbose"]),
        },
        "n_images": len(ensemble.oof_proba_),
        "held_out": [held_out.tolist() for _, held_out in ensemble.fold_indices_],
        "oof_proba": ensemble.oof_proba_.tolist(),
    }
    text = json.dumps(manifest, indent=1, allow_nan=False)
    folder = check_folder(path, overwrite=overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST_NAME).unlink(missing_ok=True)  # no manifest while members are replaced
    for stale in folder.iterdir():
        if _MEMBER_FILE.match(stale.name) and stale.is_file():
            stale.unlink()
    for number, classifier in enumerate(classifiers, start=1):
        classifier.save(folder / member_file(number))
    (folder / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- loading
def _bad(folder: Path, what: str) -> ValueError:
    return ValueError(f"{str(folder / MANIFEST_NAME)!r} is not a valid ensemble manifest: {what}.")


def read_manifest(path: Any) -> dict[str, Any]:
    """Read and check the manifest of a saved ensemble.

    Parameters
    ----------
    path : str or path-like
        The folder written by ``FoldEnsembleClassifier.save``.

    Returns
    -------
    manifest : dict
        Checked: every entry has the expected type, range and length.

    Raises
    ------
    FileNotFoundError
        If the folder or its manifest does not exist.
    ValueError
        If the manifest is not a valid one of a supported format version.
    """
    folder = Path(path)
    if not folder.exists():
        raise FileNotFoundError(f"No saved ensemble at {str(folder)!r}.")
    if not folder.is_dir():
        raise ValueError(f"{str(folder)!r} is not a saved ensemble: ensembles are folders.")
    manifest_path = folder / MANIFEST_NAME
    if not manifest_path.is_file():
        raise FileNotFoundError(
            f"{str(folder)!r} is not a saved ensemble: it has no {MANIFEST_NAME}."
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"), parse_constant=_reject)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise _bad(folder, f"unreadable JSON ({error})") from None
    _check_manifest(manifest, folder)
    return manifest


def _reject(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def _check_manifest(manifest: Any, folder: Path) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise _bad(folder, f"its 'format' is not {FORMAT_NAME!r}")
    version = manifest.get("format_version")
    if not is_integer(version) or version < 1:
        raise _bad(folder, f"'format_version' must be a positive integer, not {version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{str(folder)!r} was written in ensemble format version {version}; this skbia "
            f"reads versions up to {FORMAT_VERSION}. Upgrade skbia to load it."
        )
    missing = sorted(_MANIFEST_KEYS - set(manifest) - {"skbia_version"})
    if missing:
        raise _bad(folder, f"missing entries {missing}")
    n_members = manifest["n_members"]
    if not is_integer(n_members) or n_members < 2:
        raise _bad(folder, f"'n_members' must be an integer >= 2, not {n_members!r}")
    if manifest["average"] not in AVERAGES:
        raise _bad(folder, f"'average' must be one of {AVERAGES}, not {manifest['average']!r}")
    _check_classes(manifest, folder)
    _check_params(manifest["params"], n_members, folder)
    _check_folds(manifest, folder)


def _check_classes(manifest: dict, folder: Path) -> None:
    classes, dtype = manifest["classes"], manifest["classes_dtype"]
    if not isinstance(dtype, str) or not re.fullmatch(r"[<>|=]?[biufU][0-9]{0,4}", dtype):
        raise _bad(folder, f"'classes_dtype' {dtype!r} is not a boolean, number or string dtype")
    scalar = (str, bool, int, float)
    if (
        not isinstance(classes, list)
        or len(classes) < 2
        or not all(isinstance(c, scalar) for c in classes)
    ):
        raise _bad(folder, "'classes' must be a list of at least two labels (numbers or strings)")
    try:
        labels = np.asarray(classes, dtype=np.dtype(dtype))
    except (TypeError, ValueError, OverflowError) as error:
        raise _bad(folder, f"'classes' do not fit 'classes_dtype' ({error})") from None
    if labels.tolist() != classes or len(np.unique(labels)) != len(labels):
        raise _bad(folder, "'classes' must be distinct labels of 'classes_dtype'")


def _check_params(params: Any, n_members: int, folder: Path) -> None:
    if not isinstance(params, dict) or set(params) != _PARAM_KEYS:
        raise _bad(folder, f"'params' must hold exactly {sorted(_PARAM_KEYS)}")
    if params["n_folds"] != n_members or not is_integer(params["n_folds"]):
        raise _bad(folder, "'params.n_folds' must equal 'n_members'")
    if params["validation"] not in ("fold", None):
        raise _bad(folder, "'params.validation' must be 'fold' or null")
    if not isinstance(params["shuffle"], bool):
        raise _bad(folder, "'params.shuffle' must be true or false")
    seed = params["random_state"]
    if seed is not None and not (is_integer(seed) and 0 <= seed < 2**32):
        raise _bad(folder, "'params.random_state' must be null or an integer in [0, 2**32)")
    if not is_integer(params["verbose"]) or params["verbose"] < 0:
        raise _bad(folder, "'params.verbose' must be a non-negative integer")


def _check_folds(manifest: dict, folder: Path) -> None:
    n_images, held_out = manifest["n_images"], manifest["held_out"]
    n_members, n_classes = manifest["n_members"], len(manifest["classes"])
    if not is_integer(n_images) or n_images < n_members:
        raise _bad(folder, "'n_images' must be an integer >= 'n_members'")
    if not isinstance(held_out, list) or len(held_out) != n_members or not all(
        isinstance(fold, list) and fold and all(is_integer(i) for i in fold) for fold in held_out
    ):
        raise _bad(folder, "'held_out' must hold one non-empty list of image indices per member")
    indices = sorted(i for fold in held_out for i in fold)
    if len(indices) != n_images or indices != list(range(n_images)):
        raise _bad(folder, "'held_out' must hold every image index exactly once")
    oof = manifest["oof_proba"]
    if not isinstance(oof, list) or len(oof) != n_images or not all(
        isinstance(row, list) and len(row) == n_classes
        and all(is_real(v) and math.isfinite(v) for v in row)
        for row in oof
    ):
        raise _bad(folder, "'oof_proba' must hold one row of finite numbers per image and class")


def load_ensemble(cls: type, path: Any, *, trusted: Any = ()) -> Any:
    """Rebuild a saved ensemble (see ``FoldEnsembleClassifier.load``)."""
    from skbia import CNNClassifier

    folder = Path(path)
    manifest = read_manifest(folder)
    classes = np.asarray(manifest["classes"], dtype=np.dtype(manifest["classes_dtype"]))
    members = []
    for number in range(1, manifest["n_members"] + 1):
        member_path = folder / member_file(number)
        if not member_path.is_file():
            raise FileNotFoundError(
                f"The saved ensemble {str(folder)!r} lacks its member file {member_file(number)}."
            )
        try:
            member = CNNClassifier.load(member_path, trusted=trusted)
        except ValueError as error:
            raise ValueError(f"Member {number} of the ensemble: {error}") from None
        if not np.array_equal(np.asarray(member.classes_), classes):
            raise ValueError(
                f"Member {number} of the ensemble {str(folder)!r} has classes "
                f"{np.asarray(member.classes_).tolist()}, not the manifest's {classes.tolist()}."
            )
        if members and member.input_shape_ != members[0].input_shape_:
            raise ValueError(
                f"Member {number} of the ensemble {str(folder)!r} takes images of shape "
                f"{member.input_shape_}, member 1 {members[0].input_shape_}."
            )
        members.append(member)
    params = manifest["params"]
    ensemble = cls(
        clone(members[0]),
        n_folds=params["n_folds"],
        average=manifest["average"],
        validation=params["validation"],
        shuffle=params["shuffle"],
        random_state=params["random_state"],
        verbose=params["verbose"],
    )
    ensemble._validate_params()
    n_images = manifest["n_images"]
    ensemble.estimators_ = members
    ensemble.fold_indices_ = [
        (np.setdiff1d(np.arange(n_images), held_out), np.asarray(held_out, dtype=np.intp))
        for held_out in manifest["held_out"]
    ]
    ensemble.oof_proba_ = np.asarray(manifest["oof_proba"], dtype=np.float64)
    ensemble.classes_ = classes
    ensemble.n_classes_ = len(classes)
    return ensemble
