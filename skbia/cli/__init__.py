"""The ``skbia`` command: ``demo``, ``fit``, ``predict``, ``tune`` and ``inject``.

``_main`` parses the command line (standard library only, so ``skbia --help``
answers without importing TensorFlow) and hands over to one module per
subcommand (``_demo``, ``_fit``, ``_predict``, ``_tune``, ``_inject``); ``_common``
holds what they share, ``_injection_flags`` turns the lens-injection flags into
LensInjector parameters, ``_config`` reads and checks YAML/JSON configuration files and
``_fits`` reads FITS cubes.
"""

from __future__ import annotations

from skbia.cli._main import build_parser, main

__all__ = ["build_parser", "main"]
