"""Story and rule matching compiled to C by mypyc (part of mypy) where a C compiler is at
hand: the same typed modules, run as C extensions; pure Python where it is not, or with
MONITOR_PURE_PYTHON=1."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
# Not compiled: the config models (pydantic builds them from their annotations at run time)
# and the packages' __init__. Nor is event matching (monitor/events): compiled, a float kept
# in a dict is boxed anew where Python shares one object, and an event's words took 26% more
# memory (tests/test_events_word_memory.py).
_SKIPPED = {"config.py", "__init__.py"}


def compiled_modules() -> list[str]:
    return sorted(
        str(path.relative_to(HERE))
        for package in ("dedup", "match")
        for path in (HERE / "monitor" / package).glob("*.py")
        if path.name not in _SKIPPED
    )


def ext_modules() -> list[object]:
    if os.environ.get("MONITOR_PURE_PYTHON"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("monitor: mypyc not found, installed as pure Python", file=sys.stderr)
        return []
    return list(
        mypycify(
            ["--ignore-missing-imports", *compiled_modules()],
            opt_level="3",
            group_name="monitor_native",
        )
    )


setup(ext_modules=ext_modules())
