"""Sphinx configuration for the skbia documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "skbia"
author = "The skbia developers"
copyright = "2026, The skbia developers"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
exclude_patterns = ["_build", "mapping"]  # mapping/*.rst are included by pybia_mapping.rst
html_theme = "alabaster"
nitpicky = False
