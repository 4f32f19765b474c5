"""The grader's shared warm cache: each solution runs once first (a control run) and fills it;
students read it through a private overlay, cannot change it, and never see each other's writes.

Built on the example assignment with its given cell made to use ``TLKIT_HOME`` as a real cache.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from tlkit.grading.batch.collect import assignments_to_warm
from tlkit.grading.batch.grader import Grader
from tlkit.grading.batch.run import run_grading
from tlkit.grading.batch.warm_up import WarmCaches
from tlkit.grading.intake.identify import identify
from tlkit.grading.intake.solutions import load_assignments
from tlkit.grading.intake.submission import Submission
from tlkit.grading.options import GradeOptions, option_default
from tlkit.grading.sandbox import isolation, warm_cache

pytestmark = pytest.mark.kernel  # grades through sandboxed kernels (docs/grading.md)

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
FULL = isolation.full_isolation_available()
NEEDS_FULL = pytest.mark.skipif(not FULL, reason=f"full isolation: {isolation.missing_for_full()}")
OPTIONS = dict(timeout_cell=20, timeout_total=90, memory_mb=1000, jobs=1, isolation="full")

# The given cell: fills the cache when it is empty, and says whether it found it warm.
GIVEN = '''import os, pathlib
CACHE = pathlib.Path(os.environ["TLKIT_HOME"]) / "demo" / "datos.txt"
CALIENTE = CACHE.is_file()
if not CALIENTE:
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text("caliente")
DATOS = [3, 1, 4, 1, 5, 9, 2, 6]'''

ANSWERS = '''def suma_cuadrados(numeros):
    return sum(n * n for n in numeros) if {condition} else -1
def normaliza(valores):
    total = sum(valores)
    return [v / total for v in valores]
'''
# Overwrites, deletes, creates and re-permissions what it finds in the cache, then answers right.
ATTACK = '''import os, shutil, pathlib
raiz = pathlib.Path(os.environ["TLKIT_HOME"]).parent
datos = raiz / "tlkit" / "demo" / "datos.txt"
datos.write_text("envenenado")  # in place: copied into its private layer
(raiz / "tlkit" / "demo" / "otro.txt").write_text("x")
(raiz / "tlkit" / "demo" / "otro.txt").replace(datos)
(raiz / "tlkit" / "plantado.txt").write_text("de un estudiante")
for hijo in list(raiz.iterdir()):
    if hijo.name != "tlkit":
        shutil.rmtree(hijo, ignore_errors=True)
try:
    os.chmod(raiz / "tlkit" / "demo", 0o700)
except PermissionError:
    pass
assert (raiz / "tlkit" / "demo" / "datos.txt").read_text() == "x"  # in its own view
'''
AFTER_ATTACK = ('CALIENTE and CACHE.read_text() == "caliente" and not '
                '(CACHE.parent.parent / "plantado.txt").exists() and '
                'all((CACHE.parent.parent.parent / d).is_dir() for d in ("keras", "torch", "mpl"))')


def _solutions(folder: Path, *, given: str = GIVEN, hidden_extra: str = "",
               visible_extra: str = "") -> Path:
    notebook = nbformat.read(FIXTURES / "solutions" / "00_ejemplo.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.get("id") == "datos":
            cell.source = given
        elif cell.get("id") == "test-ej1-oculto" and hidden_extra:
            # before the `with check` block: a test cell ends in it (issue #19's split)
            cell.source = hidden_extra.strip("\n") + "\n" + cell.source
        elif cell.get("id") == "test-ej2":
            cell.source += visible_extra
    solutions = folder / "solutions"
    solutions.mkdir()
    nbformat.write(notebook, solutions / "00_ejemplo.ipynb")
    return solutions


def _student(folder: Path, solutions: Path, name: str, code: str) -> None:
    notebook = nbformat.read(solutions / "00_ejemplo.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.get("id") == "sol-ej1":
            cell.source = code
        elif cell.get("id") == "sol-ej2":
            cell.source = "# resuelto arriba\n"
    (folder / name).mkdir(parents=True)
    nbformat.write(notebook, folder / name / "00_ejemplo.ipynb")


def _points(batch) -> dict[str, float]:
    return {r.submission.student: sum(row.points for row in r.rows) for r in batch.results}


def _tree(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder``: mode, owner and bytes (what 'byte-identical' compares)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        out[str(path.relative_to(folder))] = (info.st_mode, info.st_uid, info.st_gid,
                                              path.read_bytes() if path.is_file() else None)
    return out


@NEEDS_FULL
def test_students_read_the_warm_cache_and_cannot_change_it(tmp_path, monkeypatch):
    solutions = _solutions(tmp_path)
    entregas = tmp_path / "entregas"
    _student(entregas, solutions, "a-atacante", ATTACK + ANSWERS.format(condition="True"))
    _student(entregas, solutions, "b-despues", ANSWERS.format(condition=AFTER_ATTACK))
    snapshots = []
    real_seal, real_close = warm_cache.WarmCache.seal, Grader.close

    def seal_and_look(self):
        removed = real_seal(self)
        snapshots.append(("sealed", _tree(self.host)))
        return removed

    def look_and_close(self):
        for cache in self.caches.caches.values():
            snapshots.append(("end", _tree(cache.host)))
        real_close(self)

    monkeypatch.setattr(warm_cache.WarmCache, "seal", seal_and_look)
    monkeypatch.setattr(Grader, "close", look_and_close)
    batch = run_grading([entregas], solutions, options=GradeOptions(**OPTIONS))
    assert batch.warnings == []
    assert [sum(r.points for r in run.rows) for run in batch.warm_up] == [5]
    assert "shared read-only warm cache" in batch.isolation
    assert _points(batch) == {"a-atacante": 5, "b-despues": 5}
    (_, sealed), (_, end) = snapshots
    assert sealed == end, "a student changed the host's cache folder"
    assert sealed["tlkit/demo/datos.txt"][1:] == (0, 0, b"caliente")
    assert oct(sealed["tlkit/demo/datos.txt"][0] & 0o777) == "0o666"

    # Control: without the warm cache every student starts cold and the reader loses points.
    cold = run_grading([entregas], solutions,
                       options=GradeOptions(**OPTIONS, warm_cache=False))
    assert _points(cold)["b-despues"] == 2 and cold.warm_up == []  # ej2 only
    assert "warm cache" not in cold.isolation


@NEEDS_FULL
def test_control_run_names_the_solution_that_loses_points(tmp_path, capsys):
    # ej2 passes on the instructor's machine but not in the sandbox (cwd is /sandbox/work).
    solutions = _solutions(tmp_path, visible_extra='\n    assert not os.getcwd().startswith("/sandbox")')
    entregas = tmp_path / "entregas"
    for name in ("ana", "luis"):
        _student(entregas, solutions, name, ANSWERS.format(condition="True"))
    batch = run_grading([entregas], solutions, options=GradeOptions(**OPTIONS))
    assert len(batch.results) == 2, "grading went on"
    [warning] = batch.warnings
    assert "CONTROL RUN" in warning and "00_ejemplo" in warning and "ej2 (failed)" in warning
    assert "ej1" not in warning
    assert "CONTROL RUN" in capsys.readouterr().err


@NEEDS_FULL
def test_a_warm_up_that_writes_hidden_test_text_is_not_shared(tmp_path):
    leak = ('\nopen(os.path.join(os.environ["TLKIT_HOME"], "fuga.txt"), "w").write(_ih[-1])')
    solutions = _solutions(tmp_path, hidden_extra=leak)
    entregas = tmp_path / "entregas"
    for name in ("ana", "luis"):
        _student(entregas, solutions, name, ANSWERS.format(condition="not CALIENTE"))
    batch = run_grading([entregas], solutions, options=GradeOptions(**OPTIONS))
    assert any("NOT shared" in w and "fuga.txt" in w for w in batch.warnings), batch.warnings
    assert "warm cache" not in batch.isolation
    assert _points(batch) == {"ana": 5, "luis": 5}, "each student started with an empty cache"


def test_basic_isolation_never_shares_and_says_so(tmp_path):
    solutions = _solutions(tmp_path)
    grader = Grader(load_assignments(solutions), solutions,
                    GradeOptions(isolation="basic", warm_cache=True))
    try:
        assert not grader.caches.enabled and grader.caches.caches == {}
        assert "no shared warm cache" in grader.description
    finally:
        grader.close()


def test_only_assignments_handed_in_twice_are_warmed(tmp_path):
    solutions = _solutions(tmp_path)
    assignments = load_assignments(solutions)
    one = tmp_path / "one.ipynb"
    shutil.copy(solutions / "00_ejemplo.ipynb", one)
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    subs = [Submission("ana", one), Submission("luis", broken)]
    entries = [identify(sub, assignments) for sub in subs]
    assert assignments_to_warm(entries) == []
    eva = identify(Submission("eva", one), assignments)
    assert assignments_to_warm(entries + [eva]) == ["00_ejemplo"]


@pytest.mark.skipif(os.geteuid() != 0, reason="sealing gives the files to root: needs root")
def test_seal_leaves_only_root_owned_read_only_files(tmp_path):
    cache = warm_cache.WarmCache(tmp_path)
    data = cache.host / "tlkit" / "embedded" / "x.npz"
    data.parent.mkdir()
    data.write_bytes(b"datos")
    os.chmod(data, 0o666)
    os.chown(data, 12345, 12345)
    (cache.host / "tlkit" / "enlace").symlink_to("/etc")
    os.mkfifo(cache.host / "torch" / "tubo")
    (tmp_path / "fuera").write_bytes(b"de fuera")
    os.link(tmp_path / "fuera", cache.host / "keras" / "otro-nombre")
    removed = cache.seal()
    assert sorted(Path(p).name for p in removed) == ["enlace", "otro-nombre", "tubo"]
    info = data.stat()
    assert (info.st_uid, oct(info.st_mode & 0o7777)) == (0, "0o666")
    assert oct(data.parent.stat().st_mode & 0o7777) == "0o777"
    assert cache.files_holding(["atos"]) == [data] and cache.files_holding(["nada"]) == []


def test_no_warm_cache_flag_reaches_the_options():
    from tlkit.grading.cli import add_commands

    root = argparse.ArgumentParser()
    add_commands(root.add_subparsers())
    assert root.parse_args(["grade", "x.ipynb"]).warm_cache is option_default("warm_cache")
    assert option_default("warm_cache") is True
    assert root.parse_args(["grade", "x.ipynb", "--no-warm-cache"]).warm_cache is False
    assert root.parse_args(["grade", "x.ipynb"]).keep_warm_cache is None  # off unless asked
    assert root.parse_args(["grade", "x.ipynb", "--keep-warm-cache", "k"]).keep_warm_cache == "k"


def test_overlay_paths_are_refused_when_mount_options_would_misread_them(tmp_path):
    assert warm_cache.WarmCache.usable_path(tmp_path / "tlkit-grade-abc")
    assert not warm_cache.WarmCache.usable_path(tmp_path / "a,b")
    assert not warm_cache.WarmCache.usable_path(tmp_path / "a:b")


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting the overlay needs root")
def test_the_overlay_is_checked_before_students_rely_on_it(tmp_path):
    cache = warm_cache.WarmCache(tmp_path)
    assert cache.overlay_problem() == ""
    shutil.rmtree(cache.host)  # no lower layer: every student's sandbox would fail to start
    assert cache.overlay_problem()


@NEEDS_FULL
def test_assignments_warmed_in_parallel_each_fill_their_own_cache(tmp_path):
    """Two warm-ups at once run under two uids: each writes its own assignment's folder, so
    neither is refused by what the other created (a shared folder failed here at -j 2)."""
    given = GIVEN + '\n(CACHE.parent / f"{os.getpid()}.txt").write_text("escrito")'
    solutions = _solutions(tmp_path, given=given)
    shutil.copy(solutions / "00_ejemplo.ipynb", solutions / "01_copia.ipynb")
    entregas = tmp_path / "entregas"
    for name in ("ana", "luis"):
        _student(entregas, solutions, name, ANSWERS.format(condition="CALIENTE"))
        shutil.copy(entregas / name / "00_ejemplo.ipynb", entregas / name / "01_copia.ipynb")
    batch = run_grading([entregas], solutions, options=GradeOptions(**{**OPTIONS, "jobs": 2}))
    assert batch.warnings == []
    assert [sum(r.points for r in run.rows) for run in batch.warm_up] == [5, 5]
    assert sorted(sum(row.points for row in r.rows) for r in batch.results) == [5] * 4


@NEEDS_FULL
def test_a_warm_up_that_breaks_does_not_leave_its_students_waiting(tmp_path, monkeypatch):
    """Sealing fails (a grader bug, a full disk): the students of that assignment are graded
    without a shared cache, with a warning, instead of waiting forever for the warm-up."""
    solutions = _solutions(tmp_path)
    entregas = tmp_path / "entregas"
    for name in ("ana", "luis"):
        _student(entregas, solutions, name, ANSWERS.format(condition="not CALIENTE"))

    def broken(self, name):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(WarmCaches, "seal", broken)
    batch = run_grading([entregas], solutions, options=GradeOptions(**{**OPTIONS, "jobs": 2}))
    assert _points(batch) == {"ana": 5, "luis": 5}  # each found the cache cold: not shared
    assert any("warm-up of 00_ejemplo failed" in w and "No space left" in w
               for w in batch.warnings), batch.warnings


@NEEDS_FULL
def test_a_kept_warm_cache_is_reused_until_the_solution_changes(tmp_path):
    """``--keep-warm-cache``: the second run skips the warm-up and its students still read the
    warm files through their own overlay (an attacker's writes reach neither the kept folder
    nor the next student); a changed solution is warmed up again and its old cache removed."""
    solutions = _solutions(tmp_path)
    kept = tmp_path / "guardadas"
    options = GradeOptions(**{**OPTIONS, "jobs": 2, "keep_warm_cache": str(kept)})
    entregas = tmp_path / "entregas"
    _student(entregas, solutions, "ana", ANSWERS.format(condition="CALIENTE"))
    _student(entregas, solutions, "luis", ANSWERS.format(condition="CALIENTE"))
    first = run_grading([entregas], solutions, options=options)
    assert len(first.warm_up) == 1 and _points(first) == {"ana": 5, "luis": 5}
    assert any("kept in" in n for n in first.notes), first.notes
    (record,) = kept.glob("*.json")
    snapshot = _tree(kept)
    assert (kept / record.stem / "tlkit" / "demo" / "datos.txt").read_text() == "caliente"

    shutil.rmtree(entregas / "luis")
    _student(entregas, solutions, "luis", ATTACK + ANSWERS.format(condition="True"))
    _student(entregas, solutions, "zoe", ANSWERS.format(condition=AFTER_ATTACK))
    second = run_grading([entregas], solutions, options=GradeOptions(**{**vars(options), "jobs": 1}))
    assert second.warm_up == [], "the kept cache was not reused"
    assert any("reused from" in n and "5/5, full marks" in n for n in second.notes), second.notes
    assert _points(second) == {"ana": 5, "luis": 5, "zoe": 5}
    assert _tree(kept) == snapshot, "a student changed the kept cache"

    (tmp_path / "v2").mkdir()
    changed = _solutions(tmp_path / "v2", visible_extra="\n# otra versión")
    third = run_grading([entregas], changed, options=options)
    assert len(third.warm_up) == 1 and _points(third)["ana"] == 5
    assert [p.stem for p in kept.glob("*.json")] != [record.stem] and len(list(kept.glob("*.json"))) == 1
    assert not (kept / record.stem).exists(), "the old kept cache was not removed"


def test_the_kept_cache_key_follows_what_the_warm_up_depends_on(tmp_path, monkeypatch):
    solution = tmp_path / "00_ejemplo.ipynb"
    solution.write_bytes(b'{"cells": []}')
    data = tmp_path / "datos"
    (data / "mnist").mkdir(parents=True)
    (data / "mnist" / "t10k.gz").write_bytes(b"12345")
    monkeypatch.setenv("TLKIT_DATA_DIR", str(data))
    monkeypatch.setenv("TLKIT_PROFILE", "full")
    key = warm_cache.assignment_key(solution, [])
    assert warm_cache.assignment_key(solution, []) == key  # stable
    monkeypatch.setenv("TLKIT_PROFILE", "fast")
    assert warm_cache.assignment_key(solution, []) != key
    monkeypatch.setenv("TLKIT_PROFILE", "full")
    (data / "mnist" / "t10k.gz").write_bytes(b"123456")  # the instructor replaced a data file
    assert warm_cache.assignment_key(solution, []) != key
    (data / "mnist" / "t10k.gz").write_bytes(b"12345")
    os.utime(data / "mnist" / "t10k.gz", ns=(0, 0))
    second = warm_cache.assignment_key(solution, [])
    assert second != key  # same bytes, another modification time
    solution.write_bytes(b'{"cells": [] }')  # one byte of the solution
    assert warm_cache.assignment_key(solution, []) not in (key, second)
    extra = tmp_path / "extra.csv"
    extra.write_text("a")
    assert warm_cache.assignment_key(solution, [str(extra)]) != warm_cache.assignment_key(solution, [])


@NEEDS_FULL
def test_a_kept_cache_that_cannot_be_mounted_is_warmed_up_again(tmp_path, monkeypatch):
    """A kept folder moved to a filesystem overlayfs refuses as a lower layer: the grader says
    so and warms the assignment up again instead of failing every student's sandbox."""
    solutions = _solutions(tmp_path)
    kept = tmp_path / "guardadas"
    options = GradeOptions(**{**OPTIONS, "keep_warm_cache": str(kept)})
    entregas = tmp_path / "entregas"
    for name in ("ana", "luis"):
        _student(entregas, solutions, name, ANSWERS.format(condition="CALIENTE"))
    assert len(run_grading([entregas], solutions, options=options).warm_up) == 1
    real = warm_cache.WarmCache.overlay_problem
    monkeypatch.setattr(warm_cache.WarmCache, "overlay_problem", lambda self: (
        "wrong fs type" if kept in self.host.parents else real(self)))
    again = run_grading([entregas], solutions, options=options)
    assert len(again.warm_up) == 1 and _points(again) == {"ana": 5, "luis": 5}
    assert any("not reused" in n and "wrong fs type" in n for n in again.notes), again.notes


def test_a_kept_cache_folder_must_be_the_graders_alone(tmp_path):
    """A careless ``--keep-warm-cache``: a file, a shared folder (anyone who can write it could
    plant what later students read) or a path overlayfs cannot name is refused with the reason,
    and an existing folder is never re-permissioned."""
    assert warm_cache.kept_folder_problem(tmp_path / "nueva") == ""  # made 0700 when kept
    (tmp_path / "fichero").write_text("x")
    assert warm_cache.kept_folder_problem(tmp_path / "fichero") == "not a folder"
    shared = tmp_path / "compartida"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    assert "mode 0700" in warm_cache.kept_folder_problem(shared)
    assert oct(shared.stat().st_mode & 0o777) == "0o777"
    os.chmod(shared, 0o700)
    assert warm_cache.kept_folder_problem(shared) == ""
    assert "overlayfs" in warm_cache.kept_folder_problem(tmp_path / "con espacio")
    solutions = _solutions(tmp_path)
    os.chmod(shared, 0o755)
    grader = Grader(load_assignments(solutions), solutions,
                    GradeOptions(**{**OPTIONS, "isolation": "basic", "allow_weaker": True,
                                    "keep_warm_cache": str(shared)}))
    try:
        assert grader.caches.kept is None
        assert any("caches are not kept" in n and "0o755" in n for n in grader.notes), grader.notes
    finally:
        grader.close()
