"""Import a function's entry point (functions/<name>/app.py) the way Lambda does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"


def load_app(name: str) -> ModuleType:
    """functions/<name>/app.py as module `tzurot_function_<name>`, its folder on sys.path (as
    /var/task is in Lambda) so that its sibling modules import."""
    folder = FUNCTIONS_DIR / name
    module_name = f"tzurot_function_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(module_name, folder / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
