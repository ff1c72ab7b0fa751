"""One wording for every way ``numpy.load`` can fail on a ``.npy`` file skbia reads.

skbia never unpickles a ``.npy`` file (``allow_pickle=False``), and numpy's own
messages then advise allowing pickles; these sentences say what the file is
instead, the same way wherever images or labels are read.
"""

from __future__ import annotations

import pickle

__all__ = ["describe_npy_error"]


def describe_npy_error(error: BaseException) -> str:
    """Describe why ``numpy.load`` (memory-mapped or not) failed on a ``.npy`` file.

    Parameters
    ----------
    error : BaseException
        What ``numpy.load`` raised.

    Returns
    -------
    text : str
        One sentence, ending in a full stop, without numpy's advice to allow pickles.
    """
    text = str(error) or type(error).__name__
    if "Object arrays" in text or "Python objects" in text:
        return ("it holds Python objects, which are never unpickled here; save a numeric "
                "(or, for labels, string) array.")
    if "pickle" in text.lower() or isinstance(error, pickle.UnpicklingError):
        return "not a .npy file (no .npy header; it would need unpickling, never done here)."
    if isinstance(error, EOFError) or "EOF" in text:
        return "the file is empty or truncated (it ends before the .npy header does)."
    if "mmap length" in text:  # memory-mapped: the data is shorter than the header says
        return "the file is truncated (it holds less data than its .npy header describes)."
    if "Failed to read all data" in text or "not fully written" in text:
        return f"the file is truncated ({text})."
    return f"unreadable or truncated .npy file ({text.rstrip('.')})."
