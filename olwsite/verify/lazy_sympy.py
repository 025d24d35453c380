"""sympy, imported on first use: `from . import lazy_sympy as sp` reads like `import sympy
as sp`, but a worker that only meets plain arithmetic (exact rationals, units, ceil,
min, ...) never pays sympy's import (~0.7 s) or its warm-up."""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    return getattr(importlib.import_module("sympy"), name)
