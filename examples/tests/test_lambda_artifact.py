"""examples/lambda_artifact.py on hand-made install trees: what build-lambda.sh relies
on to make an artifact reproducible and to ship the app, and nothing else, from it.
(tests/examples/build-lambda.test.ts runs the real build end to end.)"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import stat
import sys
import types
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1]


def _load() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("lambda_artifact", EXAMPLES / "lambda_artifact.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["lambda_artifact"] = module
    spec.loader.exec_module(module)
    return module


la = _load()


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def fake_install(out: Path, *, url: str) -> None:
    """What `pip install --target` leaves for one wheel installed by path, with a script."""
    (out / "pkg").mkdir(parents=True)
    (out / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (out / "pkg" / "__pycache__").mkdir()
    (out / "pkg" / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"\x00stale")
    (out / "bin").mkdir()
    (out / "bin" / "pkg-cli").write_text(f"#!{url}/python\n")
    info = out / "pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Name: pkg\nVersion: 1.0\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "REQUESTED").write_text("")
    (info / "direct_url.json").write_text(f'{{"url": "file://{url}/pkg-1.0-py3-none-any.whl"}}')
    (info / "RECORD").write_text(
        "\n".join(
            [
                "pkg/__init__.py,sha256=WRONG,3",
                "pkg/__pycache__/__init__.cpython-311.pyc,,",
                f"../../bin/pkg-cli,{record_hash((out / 'bin' / 'pkg-cli').read_bytes())},30",
                "pkg-1.0.dist-info/direct_url.json,sha256=x,1",
                "pkg-1.0.dist-info/REQUESTED,sha256=y,0",
                "pkg-1.0.dist-info/INSTALLER,sha256=z,4",
                "pkg-1.0.dist-info/METADATA,sha256=z,4",
                "pkg-1.0.dist-info/RECORD,,",
                "",
            ]
        )
    )


def make_app(app: Path) -> None:
    (app / "routers").mkdir(parents=True)
    (app / "main.py").write_text("from routers import hello\n")
    (app / "routers" / "__init__.py").write_text("")
    (app / "routers" / "hello.py").write_text("X = 1\n")
    (app / "templates").mkdir()
    (app / "templates" / "page.html").write_text("<p>hi</p>\n")
    (app / "bootstrap.sh").write_text("#!/bin/sh\n")
    (app / "bootstrap.sh").chmod(0o700)


def tree(root: Path) -> dict[str, tuple[str, int, int, bytes]]:
    result = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        kind = "dir" if path.is_dir() else "file"
        result[path.relative_to(root).as_posix()] = (kind, stat.S_IMODE(st.st_mode), int(st.st_mtime), b"" if kind == "dir" else path.read_bytes())
    return result


def test_two_installs_from_different_temporary_paths_finish_identical(tmp_path: Path) -> None:
    builds = []
    for name, url in (("a", "/tmp/tmp.AAAA/wheels"), ("b", "/var/folders/xy/tmp.BBBB/wheels")):
        out = tmp_path / name / "build"
        fake_install(out, url=url)
        app = tmp_path / name / "app"
        make_app(app)
        la.finish(out, app, la.DEFAULT_EPOCH, [str(tmp_path / name)])
        builds.append(tree(out))
    assert builds[0] == builds[1]


def test_clean_installed_drops_the_machine_specific_files_and_rewrites_record(tmp_path: Path) -> None:
    out = tmp_path / "build"
    fake_install(out, url="/tmp/tmp.AAAA/wheels")
    removed = la.clean_installed(out)
    assert removed == ["bin/", "pkg/__pycache__/", "pkg-1.0.dist-info/direct_url.json", "pkg-1.0.dist-info/REQUESTED"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "pkg-1.0.dist-info/INSTALLER",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/RECORD",
        "pkg/__init__.py",
    ]
    # Every listed file exists and has its real hash; nothing outside the tree is listed.
    assert (out / "pkg-1.0.dist-info" / "RECORD").read_text() == (
        f"pkg-1.0.dist-info/INSTALLER,{record_hash(b'pip' + bytes([10]))},4\n"
        f"pkg-1.0.dist-info/METADATA,{record_hash(b'Name: pkg' + bytes([10]) + b'Version: 1.0' + bytes([10]))},23\n"
        "pkg-1.0.dist-info/RECORD,,\n"
        f"pkg/__init__.py,{record_hash(b'VALUE = 1' + bytes([10]))},10\n"
    )


def test_a_dist_info_without_record_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x-1.dist-info").mkdir()
    with pytest.raises(la.ArtifactError, match=r"x-1\.dist-info has no RECORD"):
        la.clean_installed(tmp_path)


def test_copy_app_takes_the_whole_tree_but_not_tests_hidden_files_or_bytecode(tmp_path: Path) -> None:
    app, out = tmp_path / "app", tmp_path / "build"
    out.mkdir()
    make_app(app)
    (app / "tests").mkdir()
    (app / "tests" / "test_main.py").write_text("")
    (app / "routers" / "tests").mkdir()
    (app / "routers" / "tests" / "fixtures.py").write_text("")
    (app / ".env").write_text("DB_PASSWORD=hunter2\n")
    (app / ".git").mkdir()
    (app / ".git" / "config").write_text("")
    (app / "routers" / "__pycache__").mkdir()
    (app / "routers" / "__pycache__" / "hello.cpython-311.pyc").write_bytes(b"")
    (app / "old.pyc").write_bytes(b"")
    copied = la.copy_app(app, out)
    # Only the top-level tests/ is the app's test suite; a package's own `tests` module ships.
    assert copied == ["bootstrap.sh", "main.py", "routers/__init__.py", "routers/hello.py", "routers/tests/fixtures.py", "templates/page.html"]
    assert os.stat(out / "bootstrap.sh").st_mode & 0o111


def test_copy_app_refuses_symlinks_naming_each(tmp_path: Path) -> None:
    app, out = tmp_path / "app", tmp_path / "build"
    out.mkdir()
    make_app(app)
    secret = tmp_path / "credentials"
    secret.write_text("aws_secret_access_key=...\n")
    (app / "config.ini").symlink_to(secret)
    (app / "shared").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(la.ArtifactError) as err:
        la.copy_app(app, out)
    assert "app/config.ini is a symlink; copy the file it points at instead" in str(err.value)
    assert "app/shared is a symlink; copy the files it points at instead" in str(err.value)
    assert not (out / "main.py").exists(), "nothing is copied when the app has a problem"


def test_copy_app_refuses_a_name_a_dependency_installs(tmp_path: Path) -> None:
    app, out = tmp_path / "app", tmp_path / "build"
    fake_install(out, url="/tmp/x")
    make_app(app)
    (app / "pkg").mkdir()
    (app / "pkg" / "extra.py").write_text("")
    with pytest.raises(la.ArtifactError, match=r"app/pkg has the name of 'pkg', which pkg installs; rename it"):
        la.copy_app(app, out)


def test_a_missing_app_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(la.ArtifactError, match=r"no-app is not a directory: the example's code goes in app/"):
        la.copy_app(tmp_path / "no-app", tmp_path)


def test_fix_metadata_sets_modes_and_times_whatever_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "build"
    (out / "d").mkdir(parents=True)
    (out / "d" / "f.py").write_text("")
    (out / "d" / "f.py").chmod(0o600)
    (out / "run").write_text("")
    (out / "run").chmod(0o700)
    (out / "d").chmod(0o700)
    la.fix_metadata(out, 1_700_000_000)
    assert {k: v[1:3] for k, v in tree(out).items()} == {
        "d": (0o755, 1_700_000_000),
        "d/f.py": (0o644, 1_700_000_000),
        "run": (0o755, 1_700_000_000),
    }
    assert int(out.stat().st_mtime) == 1_700_000_000


def test_a_file_holding_a_build_path_fails_the_build(tmp_path: Path) -> None:
    out, app = tmp_path / "build", tmp_path / "app"
    out.mkdir()
    make_app(app)
    (app / "settings.py").write_text(f"ROOT = {str(tmp_path / 'work')!r}\n")
    with pytest.raises(la.ArtifactError, match=r"settings\.py contains '.*/work'"):
        la.finish(out, app, la.DEFAULT_EPOCH, [str(tmp_path / "work")])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, 315532800), ("", 315532800), ("1700000000", 1700000000)],
)
def test_epoch_defaults_to_1980(raw: str | None, expected: int) -> None:
    assert la._epoch(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [("yesterday", "whole number of seconds, got 'yesterday'"), ("0", "315532800 \\(1980-01-01\\) or later")],
)
def test_a_bad_epoch_is_named(raw: str, message: str) -> None:
    with pytest.raises(la.ArtifactError, match=message):
        la._epoch(raw)


def test_main_reports_problems_on_stderr_with_the_script_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "build").mkdir()
    assert la.main(["--out", str(tmp_path / "build"), "--app", str(tmp_path / "missing")]) == 1
    assert capsys.readouterr().err.startswith("build-lambda.sh: ")
