"""Lens-finding quality of classifier recipes, trained on one simulator and tested on both.

Protocol. Each setting (``benchmarks/_lens_recipes.py``) is one simulator on one
camera: ``ml-*`` settings are skbia's own :func:`skbia.datasets.make_lenses`,
``lt-*`` settings the lenstronomy simulator of ``benchmarks/_lenstronomy_sim.py``
(its own lens, source and look-alike population: knotty spirals, rings,
mergers, edge-on and companion confusers, per-image Moffat seeing), and the two
settings of a pair share the camera (pixel scale, seeing, zero point, sky noise;
``make_lenses_camera``) and the targeted Einstein-radius range. For each
training setting and seed ``s``:

* training set: 20 lenses + 500 others of the setting, ``random_state=s``;
* test sets: a separate simulation (``random_state=s + 1000``) of the setting
  *and* of its counterpart in the other simulator (``--no-cross``: the setting's
  own only), ``--n-test-lenses`` + ``--n-test-others`` images each.

Each recipe builds an unfitted estimator, is fitted on the training set only and
scores every test set. Rows are labelled ``trained -> tested``. Reported per row:

* ``roc_auc``, ``average_precision`` (random scores give the lens fraction);
* ``tpr0``: fraction of test lenses scored strictly above the highest-scoring
  non-lens; ``tpr10``: strictly above the 10th highest non-lens;
* ``recall_at_fpr=0.01``: recall at a 1% false-positive rate;
* ``train_s``, ``score_s`` (all the test images of the row), ``peak_rss_mib``;
* failed fits: every network's ROC AUC on its own un-augmented training images
  (one view, inference mode) at its first attempt and as kept; below 0.9 the
  network did not learn its training set;
* per kind of negative: the median score and the share above the 1%-FPR
  threshold; the ROC AUC of the lenses in each tercile of Einstein radius and of
  source brightness (lenstronomy: the lensed source's optimal S/N; make_lenses: its
  lensed flux) against all negatives;
* for fold ensembles: the metrics of the mean of the first k members, k = 1..K
  (how many members the averaging needs).

``n_at_max`` counts test images sharing the highest score (ties with a non-lens
count against ``tpr0``). Tables (markdown) are printed per pair (one row per
recipe and seed, then mean ± std over seeds), then a summary, the failed-fit
table, the ensemble-size table and the per-kind and tercile tables;
``--output`` writes every row, the settings and the machine as JSON (rewritten
after each run, so an interrupted benchmark keeps what it finished).

Recipes are registered in ``benchmarks/_lens_recipes.py``: one decorated
function ``recipe(seed, setting, *, epochs=None)`` returning an estimator (or
``(estimator, fit_kwargs)``) adds one; see that module's docstring.

Usage::

    python benchmarks/lens_finding.py --cache /tmp/lens-sets            # all pairs, 3 seeds
    python benchmarks/lens_finding.py --quick --recipes logistic previous --epochs 3
    python benchmarks/lens_finding.py --settings ml-lsst lt-lsst --recipes recommended \
        --seeds 3 --n-test-lenses 200 --n-test-others 1000 --output lens.json
    python benchmarks/lens_finding.py --combine lens.json other.json   # tables of saved runs

The older make_lenses-only settings (``ground-good``, ``ground-poor``,
``hsc-like``, ``deep-space-like``, ``demo``) are still available with
``--settings``; they have no counterpart. ``--cache DIR`` stores the simulated
sets (images, labels, metadata) and reuses them, so every recipe sees the very
same images. The lenstronomy settings need the ``bench`` extra
(``pip install ".[bench]"``).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import hashlib
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _lens_diagnostics import (  # noqa: E402
    FAILED_FIT_AUC,
    by_kind,
    by_tercile,
    lens_metrics,
    member_subsets,
    network_reports,
    scores_of,
)
from _lens_recipes import DEFAULT_SETTINGS, RECIPES, SETTINGS  # noqa: E402

QUALITY = ("roc_auc", "average_precision", "tpr0", "tpr10", "recall_at_fpr=0.01")
COSTS = ("train_s", "score_s", "peak_rss_mib")
HEADERS = {"roc_auc": "ROC AUC", "average_precision": "AP", "tpr0": "TPR0",
           "tpr10": "TPR10", "recall_at_fpr=0.01": "recall@1%FPR", "train_s": "train s",
           "score_s": "score s", "peak_rss_mib": "peak RSS MiB"}
QUICK = {"seeds": 1, "n_test_lenses": 200, "n_test_others": 1000, "epochs": 10}
FULL = {"seeds": 3, "n_test_lenses": 1000, "n_test_others": 5000, "epochs": None}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def machine_info() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"platform": platform.platform(), "processor": platform.processor() or
            platform.machine(), "cpu_count": os.cpu_count(), "usable_cores": usable,
            "python": platform.python_version(), "load_average": os.getloadavg()[0]}


def library_versions() -> dict:
    versions = {}
    for name in ("numpy", "scipy", "sklearn", "imblearn", "keras", "tensorflow", "skbia"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "?")
    return versions


def simulate(setting, n_lenses: int, n_others: int, seed: int, cache: Path | None = None):
    """``setting.simulate(n_lenses, n_others, seed)`` -> ``(X, y, metadata)``, optionally cached."""
    if cache is None:
        return setting.simulate(n_lenses, n_others, seed)
    key = hashlib.sha1(json.dumps([setting.simulator, setting.arguments, n_lenses, n_others,
                                   seed], sort_keys=True, default=list).encode()).hexdigest()[:12]
    stem = cache / f"{setting.name}_{n_lenses}+{n_others}_seed{seed}_{key}"
    x_path, y_path, meta_path = (stem.with_suffix(".X.npy"), stem.with_suffix(".y.npy"),
                                 stem.with_suffix(".meta.npz"))
    if x_path.exists() and y_path.exists() and meta_path.exists():
        with np.load(meta_path) as meta:
            return np.load(x_path), np.load(y_path), {k: meta[k] for k in meta.files}
    X, y, meta = setting.simulate(n_lenses, n_others, seed)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(meta_path, **meta)
    np.save(y_path, y)
    np.save(x_path, X)
    return X, y, meta


def run_recipe(name: str, setting, seed: int, epochs, train, tests: dict) -> list[dict]:
    """Build and fit one recipe, score every test set; return one result row per test set.

    ``tests`` maps a test setting's name to its ``(X, y, metadata)``. Each row
    has the metrics, the cost, the scores per kind of negative, the ROC AUC
    by Einstein-radius and source-brightness tercile, every network's
    training AUC (``networks``; a failed fit is one below ``FAILED_FIT_AUC``),
    and for fold ensembles the metrics of the first k members' mean.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    built = RECIPES[name](seed, setting, epochs=epochs)
    estimator, fit_kwargs = built if isinstance(built, tuple) else (built, {})
    X_train, y_train, _ = train
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X_train, y_train, **fit_kwargs)
    train_s = time.perf_counter() - start
    retries = sum(1 for w in caught if issubclass(w.category, ConvergenceWarning))
    networks = network_reports(estimator, X_train, y_train)
    rows = []
    for test_name, (X_test, y_test, meta) in tests.items():
        start = time.perf_counter()
        scores, members = scores_of(estimator, X_test)
        score_s = time.perf_counter() - start
        row = {"recipe": name, "setting": setting.name, "tested_on": test_name,
               "pair": f"{setting.name} -> {test_name}", "seed": seed,
               **lens_metrics(y_test, scores), "train_s": train_s, "score_s": score_s,
               "peak_rss_mib": peak_rss_mib(), "networks": networks,
               "failed_fits": sum(n["kept_auc"] < FAILED_FIT_AUC for n in networks),
               "failed_first_attempts": sum(n["first_auc"] < FAILED_FIT_AUC for n in networks),
               "convergence_warnings": retries,
               "by_kind": by_kind(y_test, scores, meta["kind"]),
               "by_einstein_radius": by_tercile(y_test, scores, meta["einstein_radius"]),
               "by_source_brightness": by_tercile(y_test, scores, meta["source_brightness"])}
        if members is not None:
            row["member_subsets"] = member_subsets(y_test, members)
        rows.append(row)
    del estimator, built
    if "keras" in sys.modules:
        sys.modules["keras"].backend.clear_session()
    gc.collect()
    return rows


# ----------------------------------------------------------------------------- tables


def _mean_std(values, digits: int) -> str:
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}"


def _digits(key: str) -> int:
    return 0 if key == "peak_rss_mib" else (1 if key.endswith("_s") else 3)


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def setting_table(runs: list[dict], setting: str, recipes: list[str]) -> str:
    keys = QUALITY + COSTS
    header = ["recipe", "seed", *(HEADERS[k] for k in keys), "n at max"]
    rows = []
    for recipe in recipes:
        mine = [r for r in runs if _pair(r) == setting and r["recipe"] == recipe]
        if not mine:
            continue
        if len(mine) > 1:
            for r in mine:
                rows.append([recipe, str(r["seed"]),
                             *(f"{r[k]:.{_digits(k)}f}" for k in keys), str(r["n_at_max"])])
        label = "mean ± std" if len(mine) > 1 else str(mine[0]["seed"])
        rows.append([f"**{recipe}**", label,
                     *(_mean_std([r[k] for r in mine], _digits(k)) for k in keys),
                     str(max(r["n_at_max"] for r in mine))])
    return _markdown(header, rows)


def summarize(runs: list[dict], settings: list[str], recipes: list[str]) -> dict:
    """Per recipe: each metric's mean over seeds per setting, then mean/std over settings."""
    summary = {}
    for recipe in recipes:
        per_setting = {}
        for setting in settings:
            mine = [r for r in runs if _pair(r) == setting and r["recipe"] == recipe]
            if mine:
                per_setting[setting] = {k: float(np.mean([r[k] for r in mine]))
                                        for k in QUALITY + COSTS}
                per_setting[setting]["n_seeds"] = len(mine)
        if per_setting:
            summary[recipe] = {
                "per_setting": per_setting,
                "mean": {k: float(np.mean([v[k] for v in per_setting.values()]))
                         for k in QUALITY + COSTS},
                "std_over_settings": {k: float(np.std([v[k] for v in per_setting.values()]))
                                      for k in QUALITY + COSTS},
            }
    return summary


def summary_tables(summary: dict, settings: list[str]) -> str:
    keys = QUALITY + ("train_s",)
    header = ["recipe", *(HEADERS[k] for k in keys)]
    rows = [[recipe, *(f"{s['mean'][k]:.{_digits(k)}f} ± {s['std_over_settings'][k]:.{_digits(k)}f}"
                       for k in keys)] for recipe, s in summary.items()]
    out = [_markdown(header, rows)]
    for key in ("roc_auc", "tpr10"):
        header = ["recipe", *settings]
        rows = [[recipe, *(f"{s['per_setting'][name][key]:.3f}" if name in s["per_setting"]
                           else "-" for name in settings)] for recipe, s in summary.items()]
        out.append(f"\n{HEADERS[key]} by setting (mean over seeds):\n\n" + _markdown(header, rows))
    return "\n".join(out)


def _pair(run: dict) -> str:
    """The row's 'trained on -> tested on' label (older records: the setting alone)."""
    return run.get("pair", run["setting"])


def failed_fit_table(runs: list[dict], recipes: list[str]) -> str:
    """Per recipe: networks trained, failed first attempts, failed kept networks."""
    header = ["recipe", "networks", f"first attempt < {FAILED_FIT_AUC}",
              f"kept < {FAILED_FIT_AUC} (failed fits)", "ConvergenceWarnings",
              "training AUC kept (min / median)"]
    rows = []
    for recipe in recipes:
        # one row per training run: the runs' test rows share the networks
        seen = {(r["setting"], r["seed"]): r for r in runs
                if r["recipe"] == recipe and r.get("networks")}
        if not seen:
            continue
        networks = [n for r in seen.values() for n in r["networks"]]
        kept = np.array([n["kept_auc"] for n in networks])
        rows.append([recipe, str(len(networks)),
                     str(sum(n["first_auc"] < FAILED_FIT_AUC for n in networks)),
                     str(int((kept < FAILED_FIT_AUC).sum())),
                     str(sum(r.get("convergence_warnings", 0) for r in seen.values())),
                     f"{kept.min():.3f} / {np.median(kept):.3f}"])
    return _markdown(header, rows)


def kind_table(runs: list[dict], pair: str, recipes: list[str]) -> str:
    """Median score and share above the 1%-FPR threshold per kind, mean over seeds."""
    kinds: list[str] = []
    for r in runs:
        if _pair(r) == pair:
            kinds += [k for k in r.get("by_kind", {}) if k not in kinds]
    if not kinds:
        return ""
    header = ["recipe", *kinds]
    rows = []
    for recipe in recipes:
        mine = [r for r in runs if _pair(r) == pair and r["recipe"] == recipe and "by_kind" in r]
        if not mine:
            continue
        cells = []
        for kind in kinds:
            values = [r["by_kind"][kind] for r in mine if kind in r["by_kind"]]
            cells.append(f"{np.mean([v['median'] for v in values]):.2f} / "
                         f"{np.mean([v['above_1pct'] for v in values]):.3f}" if values else "-")
        rows.append([recipe, *cells])
    return _markdown(header, rows)


def tercile_table(runs: list[dict], pair: str, recipes: list[str], key: str) -> str:
    """ROC AUC of the lenses of each tercile of a lens property, mean over seeds."""
    header = ["recipe", "lowest third", "middle third", "highest third"]
    rows = []
    for recipe in recipes:
        mine = [r[key] for r in runs if _pair(r) == pair and r["recipe"] == recipe
                and len(r.get(key, [])) == 3]
        if not mine:
            continue
        cells = []
        for k in range(3):
            aucs = [m[k]["roc_auc"] for m in mine]
            cells.append(f"{np.mean(aucs):.3f} ({np.mean([m[k]['low'] for m in mine]):.3g}-"
                         f"{np.mean([m[k]['high'] for m in mine]):.3g})")
        rows.append([recipe, *cells])
    return _markdown(header, rows)


def subset_table(runs: list[dict], pairs: list[str]) -> str:
    """ROC AUC and recall at 1% FPR of the mean of the first k members, mean ± std over seeds."""
    ensemble_runs = [r for r in runs if "member_subsets" in r]
    if not ensemble_runs:
        return ""
    ks = sorted({int(k) for r in ensemble_runs for k in r["member_subsets"]})
    header = ["recipe", "trained -> tested", *(f"k={k} AUC" for k in ks),
              *(f"k={k} R@1%" for k in ks)]
    rows = []
    for recipe in sorted({r["recipe"] for r in ensemble_runs}):
        for pair in pairs:
            mine = [r["member_subsets"] for r in ensemble_runs
                    if r["recipe"] == recipe and _pair(r) == pair]
            if not mine:
                continue
            def cell(k, metric, mine=mine):
                return _mean_std([m[str(k) if str(k) in m else k][metric] for m in mine], 3)
            rows.append([recipe, pair, *(cell(k, "roc_auc") for k in ks),
                         *(cell(k, "recall_at_fpr=0.01") for k in ks)])
    return _markdown(header, rows)


def print_report(runs: list[dict], pairs: list[str], recipes: list[str]) -> None:
    """Print every table of the benchmark for the given runs."""
    for pair in pairs:
        print(f"\n## {pair}\n")
        print(setting_table(runs, pair, recipes))
    print(f"\n## Summary over {len(pairs)} train -> test pairs (mean over pairs of the "
          "per-pair means over seeds; ± is the std across pairs)\n")
    print(summary_tables(summarize(runs, pairs, recipes), pairs))
    print("\n## Failed fits (a network's ROC AUC on its own un-augmented training images "
          f"below {FAILED_FIT_AUC})\n")
    print(failed_fit_table(runs, recipes))
    table = subset_table(runs, pairs)
    if table:
        print("\n## Ensemble size: the mean of the first k fold members\n")
        print(table)
    for pair in pairs:
        table = kind_table(runs, pair, recipes)
        if table:
            print(f"\n### {pair}: median score / share above the 1%-FPR threshold, per kind\n")
            print(table)
        for key, what in (("by_einstein_radius", "Einstein-radius (arcsec)"),
                          ("by_source_brightness", "source-brightness")):
            table = tercile_table(runs, pair, recipes, key)
            if table:
                print(f"\n### {pair}: ROC AUC by {what} tercile of the test lenses\n")
                print(table)


# ----------------------------------------------------------------------------- main


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"1 seed, {QUICK['n_test_lenses']} + {QUICK['n_test_others']} "
                             f"test images, {QUICK['epochs']} epochs at most")
    parser.add_argument("--settings", nargs="+", default=list(DEFAULT_SETTINGS),
                        choices=list(SETTINGS), metavar="NAME",
                        help=f"simulator settings (default: {' '.join(DEFAULT_SETTINGS)}; "
                             f"all: {' '.join(SETTINGS)})")
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES),
                        metavar="NAME", help=f"recipes (default all: {' '.join(RECIPES)})")
    parser.add_argument("--seeds", type=int, default=None,
                        help="number of seeds 0..N-1 (default 3, 1 with --quick)")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="first seed (runs seeds FIRST..FIRST+N-1; to split a run in parts)")
    parser.add_argument("--combine", type=Path, nargs="+", default=None, metavar="JSON",
                        help="print the tables of the runs in these --output files together "
                             "(no training)")
    parser.add_argument("--n-test-lenses", type=int, default=None,
                        help="lenses in each test set (default 1000, 200 with --quick)")
    parser.add_argument("--n-test-others", type=int, default=None,
                        help="other objects in each test set (default 5000, 1000 with --quick)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the epochs of training recipes (default: the recipe's "
                             "own, 10 with --quick)")
    parser.add_argument("--output", type=Path, default=None, help="write all runs as JSON")
    parser.add_argument("--cache", type=Path, default=None, metavar="DIR",
                        help="keep the simulated sets in DIR as .npy and reuse them")
    parser.add_argument("--no-cross", dest="cross", action="store_false",
                        help="test only on the training setting's own simulator (by default a "
                             "model is also tested on its setting's counterpart: the same "
                             "camera in the other simulator)")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.seeds < 1 or args.n_test_lenses < 1 or args.n_test_others < 10:
        parser.error("need --seeds >= 1, --n-test-lenses >= 1, --n-test-others >= 10")
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    return args


def combine(paths: list[Path]) -> None:
    """Print the tables of the runs saved in several ``--output`` files as one benchmark."""
    runs, settings, recipes = [], [], []
    for path in paths:
        record = json.loads(path.read_text(encoding="utf-8"))
        runs += record["runs"]
        print(f"- {path.name}: {record['date']}, {record['command']}")
    for run in runs:
        if _pair(run) not in settings:
            settings.append(_pair(run))
        if run["recipe"] not in recipes:
            recipes.append(run["recipe"])
    print_report(runs, settings, recipes)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.combine:
        combine(args.combine)
        return
    machine = machine_info()
    now = datetime.datetime.now().astimezone()
    print(f"# Lens-finding benchmark, {now:%Y-%m-%d %H:%M %Z}")
    print(f"machine: {machine['processor']}, {machine['cpu_count']} cores "
          f"({machine['usable_cores']} usable), {machine['platform']}, Python "
          f"{machine['python']}, load average {machine['load_average']:.2f}")
    print(f"recipes: {' '.join(args.recipes)}; settings: {' '.join(args.settings)}; "
          f"seeds {args.first_seed}..{args.first_seed + args.seeds - 1}; "
          f"training 20 + 500, test {args.n_test_lenses} + "
          f"{args.n_test_others} (random_state seed + 1000); epochs "
          f"{'recipe default' if args.epochs is None else args.epochs}"
          f"{' (--quick)' if args.quick else ''}\n")
    for name in args.settings:
        setting = SETTINGS[name]
        arguments = ", ".join(f"{k}={v}" for k, v in setting.arguments.items())
        print(f"- {name}: {setting.description}\n  {setting.simulator}(n, m, {arguments}); "
              f"sky noise per band {np.round(setting.noise_sigma, 3).tolist()} counts"
              + (f"; also tested on {setting.counterpart}" if args.cross and setting.counterpart
                 else ""))
    print(flush=True)

    record = {"date": now.isoformat(timespec="seconds"), "machine": machine,
              "command": " ".join(sys.argv), "options": {k: (str(v) if isinstance(v, Path) else v)
                                                          for k, v in vars(args).items()},
              "settings": {n: {"description": SETTINGS[n].description,
                               "simulator": SETTINGS[n].simulator,
                               "arguments": SETTINGS[n].arguments} for n in args.settings},
              "runs": [], "simulation_s": {}}
    if "baseline" in args.recipes:
        from _lens_recipes import _DEMO_0_1_0

        record["baseline_demo_settings"] = dict(_DEMO_0_1_0)
    pairs: list[str] = []

    def save() -> None:
        if args.output is not None:
            record["libraries"] = library_versions()
            record["summary"] = summarize(record["runs"], pairs, args.recipes)
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(json.dumps(record, indent=2, default=_jsonable) + "\n",
                                   encoding="utf-8")

    total = time.perf_counter()
    for name in args.settings:
        setting = SETTINGS[name]
        test_names = [name]
        if args.cross and setting.counterpart:
            test_names.append(setting.counterpart)
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            start = time.perf_counter()
            train = simulate(setting, 20, 500, seed, args.cache)
            tests = {test: simulate(SETTINGS[test], args.n_test_lenses, args.n_test_others,
                                    seed + 1000, args.cache) for test in test_names}
            sim_s = time.perf_counter() - start
            record["simulation_s"][f"{name}/{seed}"] = sim_s
            print(f"[{name} seed {seed}] {'simulated/loaded' if args.cache else 'simulated'} "
                  f"{len(train[1])} training images and test sets "
                  f"{', '.join(f'{t} ({len(v[1])})' for t, v in tests.items())} in "
                  f"{sim_s:.1f} s", flush=True)
            for recipe in args.recipes:
                rows = run_recipe(recipe, setting, seed, args.epochs, train, tests)
                for result in rows:
                    record["runs"].append(result)
                    if _pair(result) not in pairs:
                        pairs.append(_pair(result))
                    print(f"  {recipe:<12} {_pair(result):<22} AUC {result['roc_auc']:.3f}  AP "
                          f"{result['average_precision']:.3f}  TPR0 {result['tpr0']:.3f}  "
                          f"TPR10 {result['tpr10']:.3f}  R@1% "
                          f"{result['recall_at_fpr=0.01']:.3f}  train {result['train_s']:.1f} s"
                          f"  score {result['score_s']:.1f} s  failed fits "
                          f"{result['failed_fits']}/{len(result['networks'])}", flush=True)
                save()
            del train, tests
            gc.collect()

    lens_fraction = args.n_test_lenses / (args.n_test_lenses + args.n_test_others)
    print(f"\nAP of random scores = lens fraction = {lens_fraction:.3f}; "
          f"recall@1%FPR allows {int(0.01 * args.n_test_others)} false positives.")
    print_report(record["runs"], pairs, args.recipes)
    elapsed = time.perf_counter() - total
    versions = library_versions()
    print(f"\ntotal {elapsed:.0f} s; load average {os.getloadavg()[0]:.2f}; "
          + ", ".join(f"{k} {v}" for k, v in versions.items()))
    record["total_s"] = elapsed
    save()
    if args.output is not None:
        print(f"results written to {args.output}")


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return str(value)


if __name__ == "__main__":
    main()
