"""Old module paths of skbia 0.1.0, so that objects pickled by it still load.

Version 0.1.0 kept every module at the top of the package (``skbia._search_cv``,
``skbia._geometry``, ...). Pickles and joblib files record the module of each
object, so a search or pipeline saved then names modules that have since moved
into subpackages. :class:`LegacyPathFinder` answers an import of an old name
with the module that now holds its code; nothing else is ever redirected.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType

#: 0.1.0 module -> module that holds its code now
MOVED_MODULES: dict[str, str] = {
    "skbia._blending": "skbia.augmentation._blending",
    "skbia._cutouts": "skbia.augmentation._cutouts",
    "skbia._geometry": "skbia.augmentation._geometry",
    "skbia._optimizers": "skbia.classifier._optimizers",
    "skbia._saving": "skbia.classifier._saving",
    "skbia._seeding": "skbia.classifier._seeding",
    "skbia._cli_common": "skbia.cli._common",
    "skbia._cli_demo": "skbia.cli._demo",
    "skbia._cli_fit": "skbia.cli._fit",
    "skbia._cli_predict": "skbia.cli._predict",
    "skbia._cli_tune": "skbia.cli._tune",
    "skbia._config": "skbia.cli._config",
    "skbia._fits": "skbia.cli._fits",
    "skbia._lensing": "skbia.datasets._lensing",
    "skbia._light": "skbia.datasets._light",
    "skbia._noise": "skbia.datasets._noise",
    "skbia._scenes": "skbia.datasets._scenes",
    "skbia._parallel": "skbia.tuning._parallel",
    "skbia._search_callbacks": "skbia.tuning._search_callbacks",
    "skbia._search_cv": "skbia.tuning._search_cv",
    "skbia._search_report": "skbia.tuning._search_report",
    "skbia._search_results": "skbia.tuning._search_results",
    "skbia._search_space": "skbia.tuning._search_space",
    "skbia._validation": "skbia.utils._validation",
}


class _AliasLoader(importlib.abc.Loader):
    """Load an old module name as a stand-in that forwards to its new module.

    The stand-in is a module of its own (the new module's ``__spec__`` and
    ``__name__`` are left alone); looking up any name in it imports the new
    module and returns that module's object.
    """

    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec) -> ModuleType:
        module = ModuleType(spec.name, f"Moved to :mod:`{self.target}`.")
        target = self.target

        def forward(name: str):
            return getattr(importlib.import_module(target), name)

        module.__getattr__ = forward  # type: ignore[method-assign]
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: names are looked up in the new module on access."""


class LegacyPathFinder(importlib.abc.MetaPathFinder):
    """Find the 0.1.0 module names listed in :data:`MOVED_MODULES`."""

    def find_spec(self, fullname: str, path=None, target=None):
        """Return a spec that aliases ``fullname`` to its new module, or None."""
        moved_to = MOVED_MODULES.get(fullname)
        if moved_to is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(moved_to))


def install() -> None:
    """Register the finder once (called by ``skbia/__init__``; imports nothing)."""
    if not any(isinstance(finder, LegacyPathFinder) for finder in sys.meta_path):
        sys.meta_path.append(LegacyPathFinder())
