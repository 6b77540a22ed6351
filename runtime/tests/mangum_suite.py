"""Mangum's own test suite, fetched from PyPI into a cache outside the checkout.

The sdist of the Mangum version requirements-dev.txt pins carries ``tests/``
and upstream's ``uv.lock``. The suite's test dependencies are installed from
that lock, hash-checked (``pip --require-hashes``), into a virtualenv of their
own in the cache, so the project's .venv stays as requirements-dev.txt says.
Nothing here is committed; a populated cache needs no network.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import Marker

from pgserver import REPO_ROOT

# Upstream's dev group minus what these tests do not need: coverage and linters,
# the docs toolchain, and testcontainers (only the LocalStack tests use it; they
# need Docker and are deselected by the plugin).
_NOT_NEEDED = {
    "coverage",
    "mkautodoc",
    "mkdocs",
    "mkdocs-material",
    "mypy",
    "ruff",
    "testcontainers",
    "types-boto3",
}
_OFFLINE_ENV = "PM_OFFLINE"


class SuiteUnavailable(RuntimeError):
    """Mangum's test suite could not be fetched or installed."""


@dataclass(frozen=True)
class Suite:
    """An extracted sdist with its tests, and a Python that has their dependencies."""

    version: str
    source: Path
    python: Path


def pinned_mangum_version() -> str:
    """The Mangum version requirements-dev.txt pins: the one the helper is tested against."""
    text = (REPO_ROOT / "requirements-dev.txt").read_text(encoding="utf-8")
    found = re.search(r"^mangum==([0-9][0-9A-Za-z.]*)\s*$", text, re.MULTILINE)
    if not found:
        raise SuiteUnavailable("requirements-dev.txt pins no mangum==<version>")
    return found.group(1)


def cache_dir(version: str) -> Path:
    """Keyed by Mangum's version and the interpreter's, as the lock's markers are evaluated."""
    override = os.environ.get("PM_MANGUM_SUITE_CACHE")
    base = (
        Path(override)
        if override
        else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        / "pulumi-mangum"
        / "mangum-suite"
    )
    return base / f"{version}-py{sys.version_info[0]}.{sys.version_info[1]}"


def offline_reason() -> str | None:
    """Set when the user declared that no package registry can be reached."""
    if os.environ.get(_OFFLINE_ENV, "") not in ("", "0"):
        return f"{_OFFLINE_ENV} is set"
    return None


def prepare(version: str) -> Suite:
    """The cached suite, fetching and installing it on first use; raises SuiteUnavailable."""
    root = cache_dir(version)
    root.parent.mkdir(parents=True, exist_ok=True)
    with _locked(root.parent / f".{root.name}.lock"):
        suite = Suite(version, root / f"mangum-{version}", root / "venv" / "bin" / "python")
        if (root / "ready").exists() and _runs(suite.python):
            return suite
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir()
        sdist = _download_sdist(version, root / "sdist")
        _extract(sdist, root)
        if not (suite.source / "tests").is_dir():
            raise SuiteUnavailable(f"the sdist of mangum=={version} has no tests/ folder")
        lock = suite.source / "uv.lock"
        if not lock.is_file():
            raise SuiteUnavailable(f"the sdist of mangum=={version} has no uv.lock to pin from")
        requirements = root / "requirements.txt"
        requirements.write_text(lock_requirements(_load_toml(lock)))
        _run([sys.executable, "-m", "venv", str(root / "venv")], "creating the suite's venv")
        _run(
            [
                str(suite.python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--require-hashes",
                "-r",
                str(requirements),
            ],
            "installing the suite's locked test dependencies",
        )
        (root / "ready").write_text(version)
        return suite


def lock_requirements(lock: dict[str, Any]) -> str:
    """A hash-pinned requirements file for Mangum's dev group, for this interpreter.

    Markers are evaluated here rather than written out, so the file lists
    exactly the packages this Python needs, each with every hash the lock has.
    """
    packages = {p["name"]: p for p in lock["package"]}
    root = packages.get("mangum")
    if root is None:
        raise SuiteUnavailable("uv.lock has no entry for mangum itself")
    wanted = [
        *root.get("dependencies", []),
        *(d for d in root["dev-dependencies"]["dev"] if d["name"] not in _NOT_NEEDED),
    ]
    chosen: set[str] = set()
    while wanted:
        edge = wanted.pop()
        name = edge["name"]
        if name in chosen or not _applies(edge.get("marker")):
            continue
        chosen.add(name)
        package = packages[name]
        wanted.extend(package.get("dependencies", []))
        for extra in edge.get("extra", []):
            wanted.extend(package.get("optional-dependencies", {}).get(extra, []))
    lines = []
    for name in sorted(chosen):
        package = packages[name]
        hashes = [f["hash"] for f in [package.get("sdist"), *package.get("wheels", [])] if f]
        if not hashes:
            raise SuiteUnavailable(f"uv.lock has no hash for {name}")
        lines.append(f"{name}=={package['version']} " + " ".join(f"--hash={h}" for h in hashes))
    return "\n".join(lines) + "\n"


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(path.read_text(encoding="utf-8"))
    raise SuiteUnavailable("reading uv.lock needs Python 3.11+ (tomllib)")


def _applies(marker: str | None) -> bool:
    return marker is None or Marker(marker).evaluate()


def _runs(python: Path) -> bool:
    """A cached venv whose base interpreter went away is rebuilt, not trusted."""
    try:
        done = subprocess.run([str(python), "-c", "pass"], capture_output=True, timeout=60)
    except OSError:
        return False
    return done.returncode == 0


def _download_sdist(version: str, into: Path) -> Path:
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-binary",
            ":all:",
            "--no-deps",
            f"mangum=={version}",
            "-d",
            str(into),
        ],
        f"downloading the sdist of mangum=={version} from the package index",
    )
    found = sorted(into.glob("mangum-*.tar.gz"))
    if len(found) != 1:
        raise SuiteUnavailable(f"pip download left {[p.name for p in into.iterdir()]}, no sdist")
    return found[0]


def _extract(sdist: Path, into: Path) -> None:
    with tarfile.open(sdist) as archive:
        archive.extractall(into, filter="data")  # refuses links and paths out of `into`


def _run(command: list[str], doing: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise SuiteUnavailable(
            f"{doing} failed (exit {done.returncode}): {' '.join(command)}\n"
            f"{(done.stderr or done.stdout).strip()[-3000:]}\n"
            f"If this machine cannot reach the package index on purpose, set {_OFFLINE_ENV}=1."
        )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One preparer at a time: parallel test runs share the cache."""
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
