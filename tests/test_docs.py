"""Build the Sphinx documentation with warnings as errors."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.skipif(
    importlib.util.find_spec("sphinx") is None or importlib.util.find_spec("numpydoc") is None,
    reason="sphinx and numpydoc are needed (pip install '.[docs]')",
)
def test_docs_build_without_warnings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    for page in ("index", "getting_started", "user_guide/index", "user_guide/command_line",
                 "user_guide/evaluation_and_plots", "user_guide/saving_and_loading"):
        assert (tmp_path / "html" / f"{page}.html").is_file(), page
