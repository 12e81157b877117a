"""A real install: the sdist and the wheel built from it carry everything a command needs,
and the installed ``ecmon`` works from an empty directory far from the checkout.

The build calls the project's own PEP 517 backend (setuptools, as pip and ``build`` do) with
the test environment's setuptools, so no package index is asked. The fresh virtual
environment gets ecmon from the wheel alone (``--no-deps --no-index``); its dependencies are
borrowed from the test environment through a ``.pth`` line (a plain path line: the
editable install's finder in that environment is not loaded, so ``monitor`` can only come
from the wheel, which the test checks).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BACKEND = "from setuptools import build_meta as b; import sys; print(b.{hook}(sys.argv[1]))"


def backend(hook: str, cwd: Path, out: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "-c", BACKEND.format(hook=hook), str(out)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return out / done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel): the sdist from the checkout, the wheel from the unpacked sdist."""
    tmp = tmp_path_factory.mktemp("build")
    sdist = backend("build_sdist", ROOT, tmp)
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp / "src", filter="data")
    [unpacked] = (tmp / "src").iterdir()
    wheel = backend("build_wheel", unpacked, tmp)
    return sdist, wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, built: tuple[Path, Path]) -> Path:
    """The bin/ folder of a fresh virtual environment holding the wheel."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(built[1]),
        ],
        check=True,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "ecmon-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def test_the_wheel_and_sdist_carry_templates_taxonomy_schema_and_the_demo_mirror(
    built: tuple[Path, Path],
) -> None:
    sdist, wheel = built
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "monitor/templates/digest.html.j2",
        "monitor/templates/digest.txt.j2",
        "monitor/templates/feed.atom.j2",
        "monitor/data/sectors.toml",
        "monitor/schemas/changes.schema.json",
        "monitor/fixtures/watchlist.example.toml",
    ):
        assert needed in names, needed
    # Every file of the demo's mirror (every source's staged folders) is in the wheel.
    mirror = [
        p.relative_to(ROOT / "fixtures").as_posix()
        for p in (ROOT / "fixtures").rglob("*")
        if p.is_file()
        and p.parts[len(ROOT.parts) + 1] not in ("truth", "golden")
        and "__pycache__" not in p.parts
    ]
    assert len(mirror) > 50
    missing = [m for m in mirror if f"monitor/fixtures/{m}" not in names]
    assert not missing, missing
    assert not [n for n in names if "/truth/" in n or "/golden/" in n]  # the suite's own
    with tarfile.open(sdist) as archive:
        members = {m.split("/", 1)[1] for m in archive.getnames() if "/" in m}
    assert {"setup.py", "templates/digest.html.j2", "fixtures/__init__.py"} <= members


def run(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(cwd), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return subprocess.run(
        [str(bin_dir / "ecmon"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_installed_ecmon_runs_the_demo_digest_and_diff_from_an_empty_folder(
    installed: Path, tmp_path: Path
) -> None:
    # The working folder is its own: the user directories (XDG_*, set by conftest under
    # tmp_path) may be written, e.g. the template cache, the working folder may not.
    work = tmp_path / "work"
    work.mkdir()
    where = run(installed, work, "--version")
    assert where.returncode == 0, where.stderr
    origin = subprocess.run(
        [
            str(installed / "python"),
            "-c",
            "import monitor.resources as r; print(r.bundled_dir('templates'))",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(origin).is_relative_to(installed.parent), origin  # from the wheel, not the tree
    assert not Path(origin).is_relative_to(ROOT)

    demo = run(installed, work, "--db", "demo.db", "demo")
    assert demo.returncode == 0, demo.stderr
    assert "Shanghai Fudan Microelectronics Group" in demo.stdout

    html = run(installed, work, "--db", "demo.db", "digest", "--format", "html")
    assert html.returncode == 0, html.stderr
    assert "Fudan Microelectronics" in html.stdout
    assert "27号" in html.stdout and "50号" in html.stdout

    diff = run(installed, work, "--db", "demo.db", "diff", "--format", "json")
    assert diff.returncode == 0, diff.stderr
    document = json.loads(diff.stdout)
    assert any("Fudan" in (c.get("name") or "") for c in document["changes"])
    # Nothing but the database (and its per-source lock files) was written to the folder.
    assert {p.name.split(".")[0] for p in work.iterdir()} == {"demo"}
