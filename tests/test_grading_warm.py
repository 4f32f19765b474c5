"""Warm kernels (``sandbox.templates``, ``inside.zygote``): forked into each sandbox.

The attack families of ``test_grading.py`` run with warm kernels (the default); here: that the
kernel really is the template's (and still sandboxed), that warm and cold grade the same, and
that a missing or dead template costs nothing but time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from tlkit import cli
from tlkit.grading.layout import INSIDE_SOCKET
from tlkit.grading.reports.gradebook import read_gradebook
from tlkit.grading.sandbox import bwrap, isolation, templates
from tlkit.grading.sandbox.environment import kernel_threads

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
FULL = isolation.full_isolation_available()
pytestmark = [pytest.mark.kernel, pytest.mark.skipif(
    not FULL, reason=f"full isolation: {isolation.missing_for_full()}")]

SNAPSHOT = '''import os, socket, sys
PRECARGADO = "numpy" in sys.modules  # the template imported it; a cold kernel has not
def _conecta(ruta):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(ruta)
        return True
    except OSError:
        return False
AISLAMIENTO = {"uid": os.getuid(), "host": socket.gethostname(), "pid": os.getpid(),
               "plantilla": _conecta(%r), "procesos": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
               "raiz": sorted(os.listdir("/")), "tmp": os.listdir("/tmp")}
''' % INSIDE_SOCKET


def _probe_assignment(tmp_path: Path) -> tuple[Path, Path]:
    """The example assignment with a first given cell that records what the kernel sees, and
    two graded cells about it: ``precarga`` (numpy already imported) and ``aislado``."""
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nb = nbformat.read(FIXTURES / "solutions" / "00_ejemplo.ipynb", as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(first, new_code_cell(SNAPSHOT, id="instantanea"))
    nb.cells.append(new_code_cell('with check("precarga"):\n    assert PRECARGADO', id="t-precarga",
                                  metadata={"tlkit": {"grade": True, "hidden": False,
                                                      "id": "precarga", "points": 1}}))
    nb.cells.append(new_code_cell(
        'with check("aislado"):\n'
        '    a = AISLAMIENTO\n'
        '    assert a["uid"] != 0 and a["host"] == "sandbox", a\n'
        '    assert not a["plantilla"], "the kernel can use the template socket"\n'
        '    assert max(a["procesos"]) < 100 and a["pid"] < 100, a\n'
        '    assert "sys" not in a["raiz"] and "home" not in a["raiz"], a["raiz"]\n'
        '    assert not [f for f in a["tmp"] if not f.startswith("tmp")], a["tmp"]\n',
        id="t-aislado", metadata={"tlkit": {"grade": True, "hidden": False, "id": "aislado",
                                            "points": 1}}))
    nbformat.write(nb, solutions / "00_ejemplo.ipynb")
    student = tmp_path / "entregas" / "ana" / "00_ejemplo.ipynb"
    student.parent.mkdir(parents=True)
    shutil.copy(solutions / "00_ejemplo.ipynb", student)
    return solutions, student.parent.parent


def _grade(solutions: Path, subs: Path, out: Path, *extra: str) -> tuple[int, dict]:
    code = cli.main(["grade", str(subs), "--solutions", str(solutions), "--out", str(out),
                     "--timeout-cell", "20", "--memory", "800", "--isolation", "full", *extra])
    return code, {r["question"]: r for r in read_gradebook(out)}


def test_the_kernel_is_forked_from_the_template_and_stays_sandboxed(tmp_path, capsys):
    solutions, subs = _probe_assignment(tmp_path)
    code, warm = _grade(solutions, subs, tmp_path / "warm.csv")
    assert code == 0
    assert {q: r["status"] for q, r in warm.items()} == dict.fromkeys(
        ["ej1", "ej1_oculto", "ej2", "precarga", "aislado"], "passed"), warm
    assert "warm kernels" in warm["aislado"]["isolation"] or "warm kernels" in capsys.readouterr().out
    code, cold = _grade(solutions, subs, tmp_path / "cold.csv", "--no-warm-kernels")
    assert cold["precarga"]["status"] == "failed"  # a cold kernel imports numpy itself
    assert {q: r["status"] for q, r in cold.items() if q != "precarga"} == dict.fromkeys(
        ["ej1", "ej1_oculto", "ej2", "aislado"], "passed")


def test_without_a_template_kernels_start_cold_and_grades_hold(tmp_path, monkeypatch, capsys):
    """A template that cannot start (here: its command fails) is a note; every kernel starts
    cold and the grades are those of a cold run."""
    solutions, subs = _probe_assignment(tmp_path)
    monkeypatch.setattr(bwrap, "template_command", lambda folder, limits: ["false"])
    code, rows = _grade(solutions, subs, tmp_path / "g.csv")
    assert code == 0
    assert rows["precarga"]["status"] == "failed" and rows["ej1"]["status"] == "passed"
    assert "note: warm plain kernels unavailable, starting them cold" in capsys.readouterr().out


def test_a_dead_template_falls_back_to_a_cold_kernel(tmp_path, monkeypatch, capsys):
    """The template dies after starting (its socket stays): each kernel request falls back to
    a cold kernel, the grades hold and the run says so."""
    solutions, subs = _probe_assignment(tmp_path)
    started = templates.Template.__init__

    def start_then_die(self, *args, **kwargs):
        started(self, *args, **kwargs)
        self.stop()

    monkeypatch.setattr(templates.Template, "__init__", start_then_die)
    code, rows = _grade(solutions, subs, tmp_path / "g.csv")
    assert code == 0
    assert rows["precarga"]["status"] == "failed" and rows["aislado"]["status"] == "passed"
    assert "a warm kernel could not be forked, a cold one ran instead" in capsys.readouterr().out


@pytest.mark.parametrize("sources, kind", [
    (["import numpy as np\nimport tensorflow as tf"], "keras"),
    (["x = 1", "from keras import layers"], "keras"),
    (["import torch\nfrom torchvision import models"], "torch"),
    (["import numpy"], "plain"),
    (["import torch", "import keras"], None),
    (["# import torch in a comment is not code\nx = 1"], "plain"),
])
def test_template_kind_follows_the_assignment_imports(sources, kind):
    assert templates.kind_of(sources) == kind


def test_a_template_that_hangs_while_importing_is_given_up(tmp_path, monkeypatch, capsys):
    """A template that never says it is ready (a hung import) is stopped after its start
    budget; kernels start cold and the grades hold."""
    solutions, subs = _probe_assignment(tmp_path)
    monkeypatch.setattr(templates, "START_TIMEOUT", 1)
    monkeypatch.setattr(bwrap, "template_command", lambda folder, limits: [
        "sh", "-c", "sleep 60", "hung-template"])
    code, rows = _grade(solutions, subs, tmp_path / "g.csv")
    assert code == 0
    assert rows["precarga"]["status"] == "failed" and rows["ej1"]["status"] == "passed"
    assert "not ready after 1 s" in capsys.readouterr().out


HILOS = '''import os
import torch
HILOS = (torch.get_num_threads(), os.environ["TF_NUM_INTRAOP_THREADS"], os.environ["OMP_NUM_THREADS"])
'''


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_kernel_gets_its_share_of_the_cpus(tmp_path, jobs):
    """``-j J`` on C CPUs: every (warm, torch) kernel computes on C // J threads, so parallel
    kernels do not fight over the cores and one kernel alone uses them all."""
    expected = kernel_threads(jobs)
    solutions, subs = _probe_assignment(tmp_path)
    notebook = solutions / "00_ejemplo.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(1, new_code_cell(HILOS, id="hilos"))
    nb.cells.append(new_code_cell(
        f'with check("hilos"):\n    assert HILOS == ({expected}, "{expected}", "{expected}"), HILOS',
        id="t-hilos", metadata={"tlkit": {"grade": True, "hidden": False, "id": "hilos",
                                          "points": 1}}))
    nbformat.write(nb, notebook)
    shutil.copy(notebook, subs / "ana" / notebook.name)
    code, rows = _grade(solutions, subs, tmp_path / "g.csv", "-j", str(jobs), "--memory", "3000")
    assert rows["hilos"]["status"] == "passed", rows["hilos"]
    assert rows["precarga"]["status"] == "passed"  # a warm (torch) kernel
