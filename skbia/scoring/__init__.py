"""Survey-scale scoring: many image files, in bounded memory, resumable, locally or on Dask.

:func:`score_files` scores ``.npy`` (memory-mapped), FITS and HDF5 files a
chunk at a time, reading the next chunk in a thread while the current one is
scored, and writes the scores as they come: one growing CSV file, or a folder
of Parquet part files. An interrupted run continues where its output ends;
unreadable files and images with NaN pixels are listed in a side file and
skipped. With a ``distributed.Client`` the parts are scored on a Dask
cluster, each worker loading the model once. ``skbia predict`` runs it from
the command line.

Importing this module imports neither Keras nor Dask nor pyarrow.
"""

from __future__ import annotations

from skbia.scoring._inputs import resolve_inputs
from skbia.scoring._model import load_model
from skbia.scoring._run import ScoringSummary, score_files
from skbia.scoring._sources import ImageSource, SourceOptions, open_source

__all__ = [
    "ImageSource",
    "ScoringSummary",
    "SourceOptions",
    "load_model",
    "open_source",
    "resolve_inputs",
    "score_files",
]
