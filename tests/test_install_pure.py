"""Where no C compiler can build against the Python headers, the install goes on as pure
Python (README) instead of failing: setup.py asks the compiler setuptools would use first."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SETUP = Path(__file__).resolve().parents[1] / "setup.py"


def _setup_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("monitor_setup", SETUP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_c_compiler_installs_as_pure_python(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("mypyc.build")  # without mypyc the install is pure anyway
    setup = _setup_module()
    monkeypatch.setenv("CC", "/nonexistent/cc")
    monkeypatch.delenv("MONITOR_PURE_PYTHON", raising=False)
    monkeypatch.setattr(sys, "argv", ["setup.py", "build_ext", "--inplace"])
    assert setup.ext_modules() == []
    assert "no C compiler with the Python headers: installed as pure Python" in (
        capsys.readouterr().err
    )


def test_metadata_steps_compile_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    setup = _setup_module()
    monkeypatch.setattr(sys, "argv", ["setup.py", "egg_info"])
    assert setup.ext_modules() == []
