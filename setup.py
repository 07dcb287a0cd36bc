"""Story, event and rule matching compiled to C by mypyc (part of mypy) where a C compiler
and the Python headers are at hand: the same typed modules, run as C extensions; pure Python
where they are not, or with MONITOR_PURE_PYTHON=1."""

from __future__ import annotations

import os
import sys
import sysconfig
import tempfile
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
# Not compiled: the config models (pydantic builds them from their annotations at run time)
# and the packages' __init__.
_SKIPPED = {"config.py", "__init__.py"}
# setuptools' steps that only read the project's metadata: nothing to compile for them.
_METADATA_ONLY = {"egg_info", "dist_info", "sdist"}


def compiled_modules() -> list[str]:
    return sorted(
        str(path.relative_to(HERE))
        for package in ("dedup", "events", "match")
        for path in (HERE / "monitor" / package).glob("*.py")
        if path.name not in _SKIPPED
    )


def _pure(reason: str) -> list[object]:
    print(f"monitor: {reason}: installed as pure Python", file=sys.stderr)
    return []


def _can_compile() -> bool:
    """Whether the compiler setuptools would use builds a file that includes Python.h."""
    from distutils.ccompiler import new_compiler
    from distutils.sysconfig import customize_compiler

    compiler = new_compiler()
    customize_compiler(compiler)
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.c"
        probe.write_text("#include <Python.h>\nint monitor_probe(void) { return 0; }\n")
        try:
            compiler.compile(
                [str(probe)], output_dir=tmp, include_dirs=[sysconfig.get_paths()["include"]]
            )
        except Exception:  # no compiler, no headers: whatever the platform raises
            return False
    return True


def ext_modules() -> list[object]:
    commands = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    if commands and all(command in _METADATA_ONLY for command in commands):
        return []
    if os.environ.get("MONITOR_PURE_PYTHON", "") not in ("", "0"):
        return _pure("MONITOR_PURE_PYTHON is set")
    try:
        from mypyc.build import mypycify
    except ImportError:
        return _pure("mypyc not found")
    if not _can_compile():
        return _pure("no C compiler with the Python headers")
    return list(
        mypycify(
            ["--ignore-missing-imports", *compiled_modules()],
            opt_level="3",
            group_name="monitor_native",
        )
    )


if __name__ == "__main__":  # as pip runs it (tests import it)
    setup(ext_modules=ext_modules())
