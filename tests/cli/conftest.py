"""Helpers shared by the command-line tests: run ``skbia`` in-process, check one-line errors."""

from __future__ import annotations

from skbia.cli import main


def run_cli(argv, capsys):
    """Run ``skbia`` in-process; return (status, stdout, stderr)."""
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line_error(status, err, *fragments, command: str | None = None):
    """Assert exit status 1 and exactly one stderr line holding every fragment.

    With ``command``, the line must start with ``skbia <command>: error: ``.
    """
    assert status == 1
    prefix = f"skbia {command}: error: " if command else "skbia "
    assert err.count("\n") == 1 and err.startswith(prefix), err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
