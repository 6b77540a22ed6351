"""Finishes the Lambda artifact that build-lambda.sh had pip install into a directory:
copies the app tree in, and makes the directory a function of its inputs alone (the
lockfile, the local packages' sources and the app), whatever machine, path, umask or
clock built it.

Why it matters: Pulumi hashes a directory archive over each file's relative path and
bytes, and nothing else (pulumi/pulumi sdk/go/common/resource/archive/archive.go:
EnsureHashWithWD hashes the tar that archiveTar writes, whose headers carry only Name,
Mode 0o600 and Size, in filepath.Walk order). A changed hash is a changed `code`, so
Lambda publishes a new version and CodeDeploy runs a whole canary for nothing. pip
leaves three kinds of machine-specific bytes behind, all removed here:

- ``*.dist-info/direct_url.json``: the file:// URL of a wheel installed by path (a
  random temporary directory), also hashed into that distribution's ``RECORD``;
- ``bin/``: console scripts whose first line is the build machine's interpreter, also
  hashed into ``RECORD`` (and useless in Lambda, which runs no scripts);
- ``__pycache__``: bytecode stamped with source mtimes, compiled by the build machine's
  Python, which is not Lambda's (pip runs with --no-compile; this is the safety net).

Modes and mtimes do not reach Pulumi's hash, but other packagers (zip, sam, a
content-addressed cache) see them, so they are fixed too: 0644 for files (0755 if any
execute bit was set), 0755 for directories, and every timestamp at SOURCE_DATE_EPOCH
(https://reproducible-builds.org/specs/source-date-epoch/), by default 1980-01-01, the
earliest time a zip entry can carry.

  python lambda_artifact.py --out BUILD_DIR --app APP_DIR [--epoch N] [--forbid TEXT...]
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import shutil
import stat
import sys
from pathlib import Path

DEFAULT_EPOCH = 315532800  # 1980-01-01T00:00:00Z
#: The app's own tests stay out of the artifact (only the top-level folder: a package
#: may have a module or subpackage of that name that the app imports).
APP_TESTS_DIR = "tests"
_BYTECODE_SUFFIXES = (".pyc", ".pyo")


class ArtifactError(Exception):
    """A problem the user must fix in the app or the build; the message says what."""


def _digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    # RECORD's format: urlsafe base64 of the digest without padding (PEP 376 / the
    # "Recording installed projects" specification).
    encoded = base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode("ascii")
    return f"sha256={encoded}", size


def _posix(rel: Path) -> str:
    return rel.as_posix()


def clean_installed(out: Path) -> list[str]:
    """Removes what pip left that depends on the machine, and rewrites each ``RECORD``
    to list exactly the files that remain, sorted, with their hashes. Returns what it
    removed, relative to ``out``."""
    removed: list[str] = []
    scripts = out / "bin"
    if scripts.is_dir() and not scripts.is_symlink():
        shutil.rmtree(scripts)
        removed.append("bin/")
    for cache in sorted(out.rglob("__pycache__")):
        if cache.is_dir():
            shutil.rmtree(cache)
            removed.append(_posix(cache.relative_to(out)) + "/")
    for pyc in sorted(p for p in out.rglob("*") if p.suffix in _BYTECODE_SUFFIXES and p.is_file()):
        pyc.unlink()
        removed.append(_posix(pyc.relative_to(out)))
    for dist_info in sorted(out.glob("*.dist-info")):
        # direct_url.json: where the wheel came from (a temporary path for local
        # packages). REQUESTED: an empty marker whose presence depends on how pip was
        # called; neither is read at run time.
        for name in ("direct_url.json", "REQUESTED"):
            marker = dist_info / name
            if marker.exists():
                marker.unlink()
                removed.append(_posix(marker.relative_to(out)))
        rewrite_record(out, dist_info)
    return removed


def rewrite_record(out: Path, dist_info: Path) -> None:
    """Rewrites ``dist_info/RECORD`` from the files it lists that still exist inside
    ``out``: entries outside it (``../../bin/…``) and removed files go, every hash and
    size is recomputed, rows are sorted, so the file no longer depends on pip's version
    or on the build machine."""
    record = dist_info / "RECORD"
    if not record.exists():
        raise ArtifactError(f"{_posix(dist_info.relative_to(out))} has no RECORD: was it installed by pip?")
    out_resolved = out.resolve()
    rows: dict[str, tuple[str, str]] = {}
    with record.open(newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if not row:
                continue
            target = (out / row[0]).resolve()
            if target == record.resolve() or not target.is_relative_to(out_resolved):
                continue
            if not target.is_file():
                continue
            digest, size = _digest(target)
            rows[_posix(target.relative_to(out_resolved))] = (digest, str(size))
    rows[_posix(record.relative_to(out))] = ("", "")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for path in sorted(rows):
        writer.writerow([path, *rows[path]])
    record.write_text(buffer.getvalue(), encoding="utf-8")


def _owner(out: Path, name: str) -> str:
    """The installed distribution that put ``name`` (a top-level entry) into ``out``."""
    for dist_info in sorted(out.glob("*.dist-info")):
        record = dist_info / "RECORD"
        if not record.exists():
            continue
        with record.open(newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                if row and (row[0] == name or row[0].startswith(name + "/")):
                    return dist_info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
    return "a dependency"


def copy_app(app: Path, out: Path) -> list[str]:
    """Copies the app's whole tree (modules, subpackages, templates, data files) into
    ``out``, except its top-level ``tests/``, hidden entries (``.env``, ``.git``, …) and
    bytecode. Refuses symlinks (Pulumi follows file links and drops directory links, so
    the function would not get what the tree shows) and any top-level name an installed
    package already uses (the app would shadow, or be merged into, that package).
    Returns the copied files, relative to ``out``, in order."""
    if not app.is_dir():
        raise ArtifactError(f"{app} is not a directory: the example's code goes in app/")
    copied: list[str] = []
    problems: list[str] = []
    for top in sorted(os.listdir(app)):
        if _skipped(top, top_level=True):
            continue
        if (out / top).exists() or (out / top).is_symlink():
            problems.append(f"app/{top} has the name of {top!r}, which {_owner(out, top)} installs; rename it")
    for dirpath, dirnames, filenames in os.walk(app):
        here = Path(dirpath)
        rel_dir = here.relative_to(app)
        at_top = rel_dir == Path(".")
        kept_dirs = []
        for d in sorted(dirnames):
            if _skipped(d, top_level=at_top):
                continue
            if (here / d).is_symlink():
                problems.append(f"app/{_posix(rel_dir / d)} is a symlink; copy the files it points at instead")
                continue
            kept_dirs.append(d)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            if _skipped(name, top_level=at_top):
                continue
            source = here / name
            rel = rel_dir / name
            mode = source.lstat().st_mode
            if stat.S_ISLNK(mode):
                problems.append(f"app/{_posix(rel)} is a symlink; copy the file it points at instead")
                continue
            if not stat.S_ISREG(mode):
                problems.append(f"app/{_posix(rel)} is not a regular file")
                continue
            copied.append(_posix(rel))
    if problems:
        raise ArtifactError("cannot copy the app:\n  - " + "\n  - ".join(problems))
    for name in copied:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(app / name, target)
        if os.stat(app / name).st_mode & 0o111:
            target.chmod(0o755)
    return copied


def _skipped(name: str, *, top_level: bool) -> bool:
    if name.startswith("."):
        return True
    if name == "__pycache__" or name.endswith(_BYTECODE_SUFFIXES):
        return True
    return top_level and name == APP_TESTS_DIR


def fix_metadata(out: Path, epoch: int) -> None:
    """Fixes every mode and timestamp under ``out`` (``out`` included), deepest first so
    that setting a file's time does not move its directory's again."""
    for dirpath, dirnames, filenames in os.walk(out, topdown=False):
        here = Path(dirpath)
        for name in filenames:
            path = here / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise ArtifactError(f"{_posix(path.relative_to(out))} is a symlink; the artifact must hold plain files")
            path.chmod(0o755 if mode & 0o111 else 0o644)
            os.utime(path, (epoch, epoch))
        for name in dirnames:
            path = here / name
            path.chmod(0o755)
            os.utime(path, (epoch, epoch))
    out.chmod(0o755)
    os.utime(out, (epoch, epoch))


def find_leaks(out: Path, forbidden: list[str]) -> list[str]:
    """Files that contain any of ``forbidden`` (the build's own paths): a leak of the
    build machine into the artifact, which would make it differ from any other build."""
    needles = [s.encode() for s in forbidden if s]
    leaks = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for needle in needles:
            if needle in data:
                leaks.append(f"{_posix(path.relative_to(out))} contains {needle.decode()!r}")
    return leaks


def finish(out: Path, app: Path, epoch: int, forbidden: list[str]) -> tuple[list[str], list[str]]:
    removed = clean_installed(out)
    copied = copy_app(app, out)
    fix_metadata(out, epoch)
    leaks = find_leaks(out, forbidden)
    if leaks:
        raise ArtifactError("the artifact holds paths of this build, so no other build would match it:\n  - " + "\n  - ".join(leaks))
    return removed, copied


def _epoch(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_EPOCH
    try:
        value = int(raw)
    except ValueError:
        raise ArtifactError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {raw!r}") from None
    if value < DEFAULT_EPOCH:
        raise ArtifactError(f"SOURCE_DATE_EPOCH must be 315532800 (1980-01-01) or later, the earliest time a zip entry can carry; got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--out", required=True, type=Path, help="the directory pip installed into")
    parser.add_argument("--app", required=True, type=Path, help="the app's source tree")
    parser.add_argument("--epoch", default=os.environ.get("SOURCE_DATE_EPOCH"), help="timestamp for every entry (default: SOURCE_DATE_EPOCH, else 1980-01-01)")
    parser.add_argument("--forbid", action="append", default=[], help="text no file may contain (the build's own paths)")
    args = parser.parse_args(argv)
    try:
        removed, copied = finish(args.out, args.app, _epoch(args.epoch), args.forbid)
    except ArtifactError as err:
        print(f"build-lambda.sh: {err}", file=sys.stderr)
        return 1
    kinds: dict[str, int] = {}
    for path in removed:
        kind = path if path.endswith("/") and "/" not in path[:-1] else path.rstrip("/").rsplit("/", 1)[-1]
        kinds[kind] = kinds.get(kind, 0) + 1
    summary = ", ".join(f"{n} × {k}" if n > 1 else k for k, n in sorted(kinds.items())) or "nothing"
    print(f"app: {len(copied)} files copied; removed from pip's install: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
