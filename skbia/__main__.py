"""Run the ``skbia`` command as ``python -m skbia``."""

import sys

from skbia.cli import main

sys.exit(main())
