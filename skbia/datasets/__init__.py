"""Simulated multi-band images of strong gravitational lenses and of look-alikes.

:func:`make_lenses` draws scenes (a lens galaxy and a ray-traced background
source for the positives; ellipticals, disks, pairs and companions for the
negatives), renders them through a PSF and adds sky, photon and read noise.
The private modules are the parts of that simulator: ``_scenes`` (what is in
an image), ``_lensing`` (SIE plus shear deflection and ray tracing), ``_light``
(Sersic profiles, PSF convolution) and ``_noise`` (the observation).
"""

from __future__ import annotations

from skbia.datasets._make_lenses import DEFAULT_OTHER_MIX, METADATA_FIELDS, make_lenses

__all__ = ["DEFAULT_OTHER_MIX", "METADATA_FIELDS", "make_lenses"]

# synthetic lenses painted into the user's own cutouts
from skbia.datasets._hosts import select_hosts  # noqa: E402
from skbia.datasets._injection import INJECTION_METADATA_FIELDS, inject_lenses  # noqa: E402

__all__ += ["INJECTION_METADATA_FIELDS", "inject_lenses", "select_hosts"]
