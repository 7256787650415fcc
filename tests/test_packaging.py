"""The sdist and the wheel carry what a user needs; setuptools builds them without
a deprecation warning.

Built offline with the build backend installed in this virtualenv (``build
--no-isolation``; the dev extra brings setuptools>=77), so no network is needed.
Installing the sdist in a fresh virtualenv and running its tests needs PyPI:
that is a manual check (README, "Install").
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tracker import __version__

ROOT = Path(__file__).resolve().parent.parent
# What a checkout holds that is no part of the project.
LOCAL = (
    ".git",
    ".venv",
    ".hypothesis",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*_cache",
    "*.db*",
)

pytest.importorskip("build", reason="the dev extra builds the packages")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, str]:
    if not (ROOT / "pyproject.toml").exists():
        pytest.skip("not a source tree")
    # A copy: a build writes build/ and *.egg-info into the tree it builds.
    source = tmp_path_factory.mktemp("source") / "smm-tracker"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LOCAL))
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [sdist] = out.glob("*.tar.gz")
    [wheel] = out.glob("*.whl")
    return sdist, wheel, done.stdout + done.stderr


def test_the_wheel_carries_the_example_config_the_unit_and_the_license(built):
    _, wheel, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tracker/data/config.example.toml" in names
    assert "tracker/data/smm-tracker.service" in names
    assert "tracker/data/smm-tracker@.service" in names  # `smm-tracker unit --template`
    assert "tracker/data/dashboard.css" in names  # the scorecard on a phone
    assert "tracker/data/query.html" in names  # a canned query's page
    assert f"smm_tracker-{__version__}.dist-info/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"smm_tracker-{__version__}.dist-info/METADATA")
    assert b"License-Expression: MIT" in metadata
    assert f"Version: {__version__}".encode() in metadata  # the one version source


def test_the_sdist_carries_the_config_unit_changelog_license_and_tests(built):
    sdist, _, _ = built
    top = f"smm_tracker-{__version__}/"
    with tarfile.open(sdist) as archive:
        names = {name.removeprefix(top) for name in archive.getnames()}
    for needed in (
        "LICENSE",
        "CHANGELOG.md",
        "README.md",
        "config.example.toml",
        "systemd/smm-tracker.service",
        "systemd/smm-tracker@.service",
        "systemd/config.toml",
        "tests/conftest.py",
        "tests/fixtures/answers.json",
        "docs/architecture.md",
    ):
        assert needed in names, needed
    shipped_tests = {n for n in names if n.startswith("tests/") and n.endswith(".py")}
    assert shipped_tests == {
        str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("*.py")
    }  # every test and helper, so the sdist's suite collects


def test_setuptools_prints_no_deprecation_warning(built):
    _, _, output = built
    assert "Deprecat" not in output, output[-3000:]
