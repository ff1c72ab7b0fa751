"""The ``skbia`` command: ``demo``, ``fit``, ``predict``, ``tune`` and ``inject``.

Parsing the command line imports only the standard library; TensorFlow and the
rest of skbia are imported inside the subcommand that needs them, so
``skbia --help`` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pickle
import sys
from collections.abc import Sequence

from skbia import __version__
from skbia.cli._image_arguments import add_image_arguments
from skbia.cli._outputs import OVERWRITE_HELP
from skbia.cli._predict_args import PREDICT_DESCRIPTION, add_predict_arguments

# subcommand -> (module, function) that runs it; imported only when chosen
_HANDLERS = {
    "demo": ("skbia.cli._demo", "run_demo"),
    "fit": ("skbia.cli._fit", "run_fit"),
    "predict": ("skbia.cli._predict", "run_predict"),
    "tune": ("skbia.cli._tune", "run_tune"),
    "inject": ("skbia.cli._inject", "run_inject"),
}

# subcommands that never import Keras
_WITHOUT_KERAS = frozenset({"inject"})

_DESCRIPTION = """\
Train convolutional neural networks on small, imbalanced multi-band image sets.

  skbia demo                       simulate lenses, augment, train, evaluate, plot
  skbia fit --positives P.npy --negatives N.npy -o model.keras
  skbia fit --positives P.npy --negatives N.npy --ensemble 5 -o model_dir
  skbia fit --positives P.npy --negatives N.npy --inject 500 --pixel-scale 0.263 \
            --zeropoint 30 --psf-fwhm 1.3 1.1 1.0 -o model.keras
  skbia inject hosts.npy --pixel-scale 0.263 --zeropoint 30 --psf-fwhm 1.3 -o injected/
  skbia predict model.keras images.fits -o scores.csv
  skbia tune --config search.yaml --positives P.npy --negatives N.npy -o search/

Run 'skbia <command> --help' for the options of each command. Expected errors print one
line; --debug shows the full traceback instead. Output paths are checked before any work,
and existing outputs are replaced only with --overwrite."""


def _add_debug_argument(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument("--debug", action="store_true", default=default,
                        help="on an error, show the full traceback instead of one line")


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "training data", "either --positives and --negatives, or --images and --labels"
    )
    group.add_argument("--positives", metavar="FILE",
                       help="images of the positive class (.npy or FITS), labelled 1")
    group.add_argument("--negatives", metavar="FILE",
                       help="images of the negative class (.npy or FITS), labelled 0")
    group.add_argument("--images", "-X", metavar="FILE", help="all images (.npy or FITS)")
    group.add_argument("--labels", "-y", metavar="FILE",
                       help="their class labels: a 1-d .npy array of integers, booleans, "
                            "strings or whole-number floats, one per image, 2 to 10 distinct "
                            "values")
    add_image_arguments(group)


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "parameters", "flags override the configuration file, --set overrides both"
    )
    group.add_argument("--recipe", choices=["lens-finder"],
                       help="start from a recommended configuration: 'lens-finder' is "
                            "skbia.make_lens_finder (an ensemble of 5 compact networks, one "
                            "per fold, asinh stretch, online dihedral + shift augmentation, "
                            "dihedral test-time averaging, a retry of any network that does "
                            "not learn its training set; the crop comes from --pixel-scale, "
                            "--einstein-radius and --psf-fwhm); the configuration file and "
                            "flags override it")
    group.add_argument("--config", "-c", metavar="FILE",
                       help="YAML or JSON file with 'classifier', 'augmenter' (fixed copies "
                            "before training) and 'online_augmentation' (fresh transforms "
                            "every epoch) sections")
    group.add_argument("--arch", help="network: compact, alexnet, vgg16 or resnet18")
    group.add_argument("--epochs", type=int, help="training epochs")
    group.add_argument("--batch-size", type=int, help="images per gradient step")
    group.add_argument("--learning-rate", type=float, help="optimizer learning rate")
    group.add_argument("--image-size", type=int,
                       help="centre crop (pixels) applied inside the model")
    group.add_argument("--min-pixel", type=float, help="min-max normalization: lower clip")
    group.add_argument("--max-pixel", type=float, nargs="+", metavar="VALUE",
                       help="min-max normalization: upper clip, one value or one per band")
    group.add_argument("--patience", type=int, help="early-stopping patience in epochs")
    group.add_argument("--random-state", type=int,
                       help="seed of training, augmentation and the --ensemble folds")
    group.add_argument("--set", dest="assignments", action="append", default=[],
                       metavar="[SECTION.]NAME=VALUE",
                       help="any parameter, e.g. --set filter_scale=0.25 "
                            "--set augmenter.n_copies=10 (value read as YAML, where 1e-3 is a "
                            "number and '1e-3' a string; repeatable)")


def _add_injection_physics(group) -> None:
    """Add the camera and lens-population flags shared by ``fit --inject`` and ``inject``."""
    group.add_argument("--pixel-scale", type=float, metavar="ARCSEC",
                       help="pixel scale of the images in arcsec per pixel")
    group.add_argument("--zeropoint", dest="zero_point", type=float, nargs="+",
                       metavar="MAG",
                       help="AB magnitude of one flux unit of the images: one value, or one per "
                            "band")
    group.add_argument("--psf-fwhm", type=float, nargs="+", metavar="ARCSEC",
                       help="PSF full width at half maximum in arcsec: one value, or one per "
                            "band")
    group.add_argument("--psf", choices=("moffat", "gaussian"),
                       help="PSF profile (default: moffat, beta 3.5)")
    group.add_argument("--einstein-radius", type=float, nargs="+", metavar="ARCSEC",
                       help="Einstein radius in arcsec: one value, or LOW HIGH for a uniform "
                            "range (default: 1 3)")
    group.add_argument("--source-magnitude", type=float, nargs="+", metavar="MAG",
                       help="unlensed AB magnitude of the source in the reference band: one "
                            "value, or BRIGHT FAINT for a range (default: 21 23.5)")
    group.add_argument("--gain", type=float, nargs="+", metavar="E_PER_UNIT",
                       help="electrons per flux unit, one value or one per band: adds the "
                            "source's own photon noise (default: none)")
    group.add_argument("--min-snr", type=float, metavar="SNR",
                       help="quality cut: smallest signal-to-noise of the lensed source in its "
                            "best band (default: 20)")
    group.add_argument("--min-magnification", type=float, metavar="MU",
                       help="quality cut: smallest total magnification (default: 3)")


def _add_injection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "lens injection",
        "paint synthetic lenses into the training negatives of each fit (a LensInjector before "
        "any augmenter); the camera flags are required with --inject unless a configuration "
        "'injector' section sets them",
    )
    group.add_argument("--inject", metavar="N",
                       help="number of injected lenses: an integer count, or a fraction such "
                            "as 0.5 of the number of negatives")
    group.add_argument("--inject-hosts", choices=("all", "bright_red_centre"),
                       help="which negatives may be hosts (default: all)")
    _add_injection_physics(group)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``skbia`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser, with one sub-parser per subcommand.
    """
    parser = argparse.ArgumentParser(
        prog="skbia", description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"skbia {__version__}")
    _add_debug_argument(parser, default=False)
    commands = parser.add_subparsers(dest="command", metavar="<command>")

    demo = commands.add_parser(
        "demo", help="simulated lens search end to end: augment, train, evaluate, plot",
        description="Simulate 20 lenses and 500 other objects, augment the lenses inside an "
                    "imbalanced-learn pipeline, train a CNNClassifier, evaluate it on a "
                    "separate simulated test set, and save the model and plots.",
    )
    demo.add_argument("--output", "-o", default="skbia-demo-output", metavar="DIR",
                      help="folder for the model, metrics and plots, created if missing (its "
                           "parent must exist); files of an earlier run in it are an error "
                           "unless --overwrite (default: %(default)s)")
    demo.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    demo.add_argument("--fast", "--quick", action="store_true",
                      help="tiny images, few objects and one epoch: a smoke test, not a result")
    demo.add_argument("--epochs", type=int, default=None, help="training epochs")
    demo.add_argument("--random-state", type=int, default=0,
                      help="seed of simulation, augmentation and training (default: 0)")
    demo.add_argument("--quiet", "-q", action="store_true", help="no per-epoch progress")

    fit = commands.add_parser(
        "fit", help="train a classifier on .npy/FITS images and save it",
        description="Train a CNNClassifier (optionally after an ImageAugmenter) and save it.",
    )
    _add_data_arguments(fit)
    _add_config_arguments(fit)
    _add_injection_arguments(fit)
    fit.add_argument("--validation-fraction", type=float, default=0.0, metavar="F",
                     help="hold out this stratified fraction of the images (before any "
                          "augmentation) as validation data for val_ metrics (default: 0)")
    fit.add_argument("--output", "-o", required=True, metavar="PATH",
                     help="where to save the fitted model: a .keras file in an existing "
                          "folder, or with --ensemble a new or empty folder (or one holding a "
                          "saved ensemble, with --overwrite)")
    fit.add_argument("--ensemble", type=int, metavar="K",
                     help="train K members, one per stratified fold of the images, each "
                          "validated on its held-out fold (with --recipe lens-finder: not "
                          "validated, so the held-out folds stay unseen), and save them to "
                          "the --output folder; prints the members' out-of-fold score. 1 "
                          "trains one network (a .keras file). Default: 5 with --recipe "
                          "lens-finder, else 1")
    fit.add_argument("--ensemble-average", choices=("mean", "rank"), default="mean",
                     help="how the members' predictions are combined: mean probability or "
                          "mean rank score (default: %(default)s)")
    fit.add_argument("--overwrite", action="store_true",
                     help="replace an existing --output model file (or a saved ensemble in "
                          "the --output folder) and --history-plot files; without it, an "
                          "existing output is an error before any work")
    fit.add_argument("--history-plot", metavar="PNG",
                     help="also save the training curves to this image file (.png, .pdf, "
                          ".svg, ...; with --ensemble, one file per member: NAME_member1.png, "
                          "...)")
    fit.add_argument("--quiet", "-q", action="store_true", help="no per-epoch progress")

    predict = commands.add_parser(
        "predict", help="score images with a saved model and write a CSV or Parquet table",
        description=PREDICT_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_predict_arguments(predict)

    tune = commands.add_parser(
        "tune", help="Bayesian search of augmentation and network parameters",
        description="Run a CNNSearchCV (Bayesian search across cross-validation folds) "
                    "described by a configuration file, then save the search, the refitted "
                    "best model, a summary table and a convergence plot. The search space is "
                    "checked against the images before the first trial. The saved search "
                    "(search.joblib) and its checkpoint (checkpoint.joblib) are pickle files: "
                    "as scikit-learn says of pickled models, loading one can run arbitrary "
                    "code, so load them (CNNSearchCV.load, fit(resume_from=...)) only if they "
                    "come from a source you trust.",
    )
    _add_data_arguments(tune)
    tune.add_argument("--config", "-c", required=True, metavar="FILE",
                      help="YAML or JSON file with 'classifier', 'augmenter', 'space' "
                           "(build_search_space arguments) and 'search' (CNNSearchCV "
                           "arguments) sections")
    tune.add_argument("--n-iter", type=int, help="number of trials (overrides search.n_iter)")
    tune.add_argument("--cv", type=int, help="cross-validation folds (overrides search.cv)")
    tune.add_argument("--set", dest="assignments", action="append", default=[],
                      metavar="SECTION.NAME=VALUE",
                      help="override one configuration entry (value read as YAML)")
    tune.add_argument("--output", "-o", required=True, metavar="DIR",
                      help="folder for the search, the best model and the reports, created if "
                           "missing (its parent must exist); files of an earlier search in it "
                           "are an error unless --overwrite. search.joblib and "
                           "checkpoint.joblib are pickles: load them only if you trust where "
                           "they come from")
    tune.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    tune.add_argument("--quiet", "-q", action="store_true", help="no per-trial progress")
    inject = commands.add_parser(
        "inject", help="paint synthetic lenses into host images and save them for inspection",
        description="Paint a ray-traced lensed source into each chosen host image "
                    "(skbia.datasets.inject_lenses) and write the injected images "
                    "(injected.npy), the hosts they were made from (hosts.npy), one metadata "
                    "row per image (metadata.csv: Einstein radius, source magnitude and S/N per "
                    "band, magnification, ...) and a picture of hosts beside their injected "
                    "copies (injected.png) into the output folder. The camera settings "
                    "(--pixel-scale, --zeropoint, --psf-fwhm) are required: they must be those "
                    "of the images.",
    )
    inject.add_argument("images", help="host images (.npy or FITS), background subtracted; "
                                       "never known lenses")
    inject.add_argument("--output", "-o", required=True, metavar="DIR",
                        help="folder for the outputs, created if missing (its parent must "
                             "exist); outputs of an earlier run in it are an error unless "
                             "--overwrite")
    inject.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    add_image_arguments(inject)
    hosts = inject.add_argument_group("hosts")
    which = hosts.add_mutually_exclusive_group()  # both would leave one silently unused
    which.add_argument("--select", choices=("all", "bright_red_centre"), default="all",
                       help="which images may be hosts: all, or those whose central object is "
                            "bright and red (see skbia.datasets.select_hosts; default: "
                            "%(default)s)")
    which.add_argument("--indices", metavar="FILE",
                       help="a .npy file of host indices (integers) or a boolean mask, one per "
                            "image; instead of --select")
    hosts.add_argument("--n-injected", "-n", type=int, metavar="N",
                       help="number of injected images, drawn from the selected hosts (without "
                            "replacement when there are enough; default: one per selected "
                            "host)")
    physics = inject.add_argument_group("camera and lens population")
    _add_injection_physics(physics)
    inject.add_argument("--random-state", type=int, default=0,
                        help="seed of the host draw and the injections (default: 0)")
    inject.add_argument("--n-jobs", type=int, default=None,
                        help="threads for the injections, -1 for one per CPU core (default: 1)")
    inject.add_argument("--plot-count", type=int, default=8, metavar="K",
                        help="host/injected pairs shown in injected.png (default: %(default)s)")
    for command in (demo, fit, predict, tune, inject):
        # SUPPRESS: a subcommand without --debug keeps the value given before the subcommand
        _add_debug_argument(command, default=argparse.SUPPRESS)
    return parser


def _import_keras_quietly() -> None:
    """Import Keras with the process's native stderr silenced.

    TensorFlow's C++ start-up notices (oneDNN, absl) are written to file
    descriptor 2 at import, before any logging setting applies; every
    subcommand imports Keras anyway, so doing it here keeps an expected failure
    to the one line ``main`` prints. ``--debug`` keeps the notices.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr descriptor: nothing to silence
        saved = None
    try:
        if saved is not None:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 2)
        try:
            import keras  # noqa: F401
            import scikeras.wrappers  # noqa: F401  (imports TensorFlow on every backend)
        except ImportError:
            pass  # reported by the subcommand that needs it
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skbia`` command.

    Parameters
    ----------
    argv : sequence of str or None, default=None
        The arguments after the program name; None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 1 when the command failed with a reported error, 2 for
        usage errors (from argparse). With ``--debug`` the error is raised
        instead of reported.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # hide TensorFlow's C++ log lines
    # idle OpenMP threads (scikit-learn's t-SNE, ...) sleep instead of spinning, so they do
    # not starve TensorFlow's threads on few cores; only effective before OpenMP starts
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if not args.debug and args.command not in _WITHOUT_KERAS:
        _import_keras_quietly()
    module_name, function_name = _HANDLERS[args.command]
    handler = getattr(importlib.import_module(module_name), function_name)
    try:
        return int(handler(args) or 0)
    except (OSError, ValueError, TypeError, ImportError, FloatingPointError, EOFError,
            pickle.UnpicklingError) as error:
        if args.debug:
            raise
        print(f"skbia {args.command}: error: {one_line(error)}", file=sys.stderr)
        return 1


def one_line(error: BaseException) -> str:
    """Return an error message as one line.

    A message over several lines (e.g. a search whose trials all failed,
    quoting the first failure's traceback) keeps its first and last lines,
    which say what failed and why.

    Parameters
    ----------
    error : BaseException
        The error to report.

    Returns
    -------
    text : str
        The message, without line breaks.
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    if len(lines) == 1:
        return lines[0]
    return f"{lines[0]} ... {lines[-1]} (--debug shows the whole message)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
