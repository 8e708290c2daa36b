"""Building and installing the package: what a new user sees on `make demo` / `pip install .`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/unit/ is two folders down


def test_the_license_is_an_spdx_string_that_the_pinned_setuptools_accepts() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the build test below covers 3.10
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    # The TOML-table form ({text = ...}) makes setuptools print a deprecation notice on every build.
    assert project["project"]["license"] == "MIT"
    # The string form needs setuptools 77 (PEP 639); an older one in the build would refuse it.
    requires = project["build-system"]["requires"]
    assert any(req.replace(" ", "").startswith("setuptools>=") for req in requires), requires
    for req in requires:
        if req.replace(" ", "").startswith("setuptools>="):
            major = int(req.replace(" ", "").split(">=", 1)[1].split(".")[0].split(",")[0])
            assert major >= 77, req


def test_building_the_package_prints_no_deprecation_warning(tmp_path: Path) -> None:
    """The same isolated build `make install` and `pip install .` run (about 5-10 s), on a
    copy of the sources, so that the build leaves nothing in the checkout."""
    source = tmp_path / "source"
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-w", str(tmp_path / "dist"),
         str(source)],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    for word in ("deprecat", "BuildBackendWarning"):
        assert word.lower() not in output.lower(), output
    wheels = list((tmp_path / "dist").glob("bazinga_db-*.whl"))
    assert len(wheels) == 1, output
    with zipfile.ZipFile(wheels[0]) as wheel:
        metadata = next(name for name in wheel.namelist() if name.endswith(".dist-info/METADATA"))
        text = wheel.read(metadata).decode()
    assert "License-Expression: MIT" in text
