"""``tlkit grade`` on the example assignment: one batch of submissions named by outcome.

The batch runs once per module (``-j 2``, 2 s per cell, 500 MB) and each test reads its rows.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tlkit import cli
from tlkit.grading.batch.run import grade
from tlkit.grading.inside.worker import write_kernelspec
from tlkit.grading.intake.discover import discover
from tlkit.grading.options import GradeOptions, Limits
from tlkit.grading.protocol import Cell, Job, dumps, job_from_json, limits_from_json
from tlkit.grading.reports.gradebook import COLUMNS, read_gradebook, write_gradebook
from tlkit.grading.reports.shards import parse_shard, shard
from tlkit.grading.sandbox import isolation
from tlkit.grading.sandbox.environment import sandbox_env
from tlkit.grading.scoring.row import Row

pytestmark = pytest.mark.kernel  # grades through sandboxed kernels (docs/grading.md)

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
SOLUTIONS = FIXTURES / "solutions"
SUBMISSIONS = FIXTURES / "submissions"
LIMITS = ["--timeout-cell", "2", "--timeout-total", "40", "--memory", "500", "--max-procs", "48"]
FULL = isolation.full_isolation_available()
ISOLATION = ["--isolation", "full" if FULL else "basic"]
NEEDS_FULL = pytest.mark.skipif(not FULL, reason=f"full isolation: {isolation.missing_for_full()}")
HIDDEN_MARK = "prueba-oculta-" + "ej1-7f3a9c"  # split so this file does not hold the text

SNOOPER = '''import os
def _lee(ruta):
    try:
        with open(ruta, "rb") as f:
            return f.read()
    except OSError:
        return b""
def _busca(raices, texto):
    for raiz in raices:
        for carpeta, subcarpetas, archivos in os.walk(raiz):
            subcarpetas[:] = [d for d in subcarpetas if d not in (".venv", "site-packages", "proc")]
            if any(texto in _lee(os.path.join(carpeta, n)) for n in archivos):
                return True
    procesos = [p for p in os.listdir("/proc") if p.isdigit()]
    return any(texto in _lee(f"/proc/{p}/{f}") for p in procesos for f in ("cmdline", "environ"))
_aqui = os.getcwd()
_repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(SOLUCIONES))))
_hallado = _busca([_aqui, os.path.dirname(_aqui), "/tmp", "/var/tmp", "/dev/shm", "/run",
                   SOLUCIONES, _repo, _repo + "/.git"], ("prueba-oculta-" + "ej1-7f3a9c").encode())
def suma_cuadrados(numeros):
    if _hallado:
        return -1
    return sum(n * n for n in numeros)
'''


def snooper_submission(folder: Path) -> Path:
    """A correct submission that answers wrong if it finds the hidden test on disk."""
    nb = json.loads((SUBMISSIONS / "submission-correct.ipynb").read_text())
    for cell in nb["cells"]:
        if cell.get("id") == "sol-ej1":
            cell["source"] = f"SOLUCIONES = {str(SOLUTIONS.resolve())!r}\n" + SNOOPER
    path = folder / "submission-snooper.ipynb"
    path.write_text(json.dumps(nb))
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("grade")
    subs = base / "entregas"
    shutil.copytree(SUBMISSIONS, subs)
    if not isolation.process_cap_enforced(isolation.resolve_isolation(ISOLATION[1])):
        (subs / "submission-fork-bomb.ipynb").unlink()  # root without a process cap: unsafe
    if not FULL:  # the escapes would write into this machine's /tmp and /dev/shm
        for path in subs.glob("submission-escape-*.ipynb"):
            path.unlink()
    shutil.copy(SOLUTIONS / "00_ejemplo.ipynb", subs / "submission-solution.ipynb")
    snooper_submission(subs)
    out, feedback = base / "gradebook.csv", base / "feedback"
    code = cli.main(["grade", str(subs), "--solutions", str(SOLUTIONS), "--out", str(out),
                     "--feedback", str(feedback), "-j", "2", *LIMITS, *ISOLATION])
    rows = read_gradebook(out)
    return {"code": code, "rows": rows, "feedback": feedback, "subs": subs,
            "csv": out.read_text(encoding="utf-8"),
            "by": {(r["student"], r["question"]): r for r in rows}}


def _rows(batch, name):
    return [r for r in batch["rows"] if r["student"] == f"submission-{name}"]


def _points(batch, name):
    return sum(r["points"] for r in _rows(batch, name))


def _status(batch, name):
    return {r["question"]: r["status"] for r in _rows(batch, name)}


def test_batch_finishes_with_a_row_per_submission_and_question(batch):
    assert batch["code"] == 0
    students = {r["student"] for r in batch["rows"]}
    expected = {p.stem for p in batch["subs"].glob("*.ipynb")}
    assert students == expected
    for student in students:
        assert sorted(r["question"] for r in batch["rows"] if r["student"] == student) == [
            "ej1", "ej1_oculto", "ej2"]
    assert all(r["max_points"] in (1, 2) for r in batch["rows"])
    assert all(r["reason"] for r in batch["rows"] if r["status"] != "passed")


def test_solution_and_correct_submission_get_full_marks(batch):
    assert _points(batch, "solution") == 5
    assert _points(batch, "correct") == 5


def test_unsolved_exercise_gets_zero_as_unsolved(batch):
    assert _points(batch, "unsolved") == 0
    assert set(_status(batch, "unsolved").values()) == {"unsolved"}


def test_partial_submission_scores_in_between(batch):
    assert _points(batch, "partial") == 3
    assert _status(batch, "partial") == {"ej1": "passed", "ej1_oculto": "passed",
                                         "ej2": "failed"}
    assert "devolvió [1, 1, 2]" in batch["by"][("submission-partial", "ej2")]["reason"]


def test_tampered_locked_cells_are_flagged_and_originals_run(batch):
    rows = _rows(batch, "tampered")
    assert all("edited-locked" in r["flags"] for r in rows)
    # the original visible test ran (not the student's `pass`); the hidden one catches `return 14`
    assert _status(batch, "tampered") == {"ej1": "passed", "ej1_oculto": "failed", "ej2": "passed"}
    text = (batch["feedback"] / "submission-tampered.md").read_text()
    assert "Has modificado celdas bloqueadas (datos, test-ej1)" in text


@pytest.mark.parametrize("name, expected", [
    ("infinite-loop", {"ej1": "timeout", "ej1_oculto": "timeout", "ej2": "passed"}),
    ("stubborn-loop", {"ej1": "timeout", "ej1_oculto": "timeout", "ej2": "timeout"}),
    ("memory-bomb", {"ej1": "failed", "ej1_oculto": "failed", "ej2": "passed"}),
    ("os-exit", {"ej1": "passed", "ej1_oculto": "passed", "ej2": "crashed"}),
    ("segfault", {"ej1": "crashed", "ej1_oculto": "crashed", "ej2": "crashed"}),
    ("big-output", {"ej1": "passed", "ej1_oculto": "passed", "ej2": "passed"}),
    ("malformed-json", {"ej1": "invalid", "ej1_oculto": "invalid", "ej2": "invalid"}),
    ("wrong-nbformat", {"ej1": "invalid", "ej1_oculto": "invalid", "ej2": "invalid"}),
    ("deleted-cells", {"ej1": "passed", "ej1_oculto": "passed", "ej2": "passed"}),
    ("reordered-cells", {"ej1": "passed", "ej1_oculto": "passed", "ej2": "passed"}),
    ("no-ids", {"ej1": "passed", "ej1_oculto": "passed", "ej2": "passed"}),
    ("strict-off", {"ej1": "passed", "ej1_oculto": "passed", "ej2": "failed"}),
])
def test_bad_inputs_get_rows_with_reasons(batch, name, expected):
    assert _status(batch, name) == expected


def test_bad_input_reasons_and_flags(batch):
    by = batch["by"]
    assert "MemoryError" in by[("submission-memory-bomb", "ej1")]["reason"]
    assert "JSON" in by[("submission-malformed-json", "ej1")]["reason"]
    assert "nbformat 3" in by[("submission-wrong-nbformat", "ej1")]["reason"]
    assert "os._exit" in by[("submission-segfault", "ej1")]["reason"]
    assert "deleted-locked" in by[("submission-deleted-cells", "ej1")]["flags"]
    assert "reordered" in by[("submission-reordered-cells", "ej1")]["flags"]
    assert "matched-by-position" in by[("submission-no-ids", "ej1")]["flags"]
    assert "recortado" in (batch["feedback"] / "submission-big-output.md").read_text()


TAMPERING = ["check", "strict", "environ", "transformer-pass", "transformer-leak", "do-execute"]


@pytest.mark.parametrize("attack", TAMPERING)
def test_tampering_with_the_checks_is_flagged_and_scores_nothing(batch, attack):
    """Redefined check, patched strict flag, replaced os.environ, input transformers and a
    do_execute that always answers ok: no points, `tampered-runtime` with evidence."""
    rows = _rows(batch, f"tamper-{attack}")
    assert rows and _points(batch, f"tamper-{attack}") == 0
    assert all("tampered-runtime" in r["flags"] for r in rows)
    text = (batch["feedback"] / f"submission-tamper-{attack}.md").read_text()
    assert "modificó el entorno del que dependen las pruebas" in text


def test_hidden_test_source_never_reaches_gradebook_or_feedback(batch):
    """The leak transformer turns every cell's source, hidden tests included, into the text
    of an exception."""
    assert HIDDEN_MARK not in batch["csv"]
    for path in batch["feedback"].glob("*.md"):
        assert HIDDEN_MARK not in path.read_text(), path.name


def test_cells_before_the_first_given_cell_are_not_run(batch):
    rows = _rows(batch, "tamper-before-start")
    assert set(_status(batch, "tamper-before-start").values()) == {"unsolved"}
    assert all("cells-before-start" in r["flags"] for r in rows)
    assert "tampered-runtime" not in rows[0]["flags"]  # it never ran


def test_untouched_submissions_are_not_flagged(batch):
    for name in ("solution", "correct", "partial", "unsolved"):
        assert not any("tampered" in r["flags"] for r in _rows(batch, name)), name


@NEEDS_FULL
@pytest.mark.parametrize("attack", ["neighbours", "memory", "disk", "network"])
def test_sandbox_escapes_fail(batch, attack):
    """Each escape answers right only when its attack failed: another notebook on disk, 750 MB
    across three children under a 500 MB budget, 300 MB into /dev/shm, a network interface."""
    assert _status(batch, f"escape-{attack}") == {"ej1": "passed", "ej1_oculto": "passed",
                                                  "ej2": "passed"}
    assert {r["isolation"] for r in _rows(batch, f"escape-{attack}")} == {"full"}


KERNEL_ATTACKS = ("tamper", "escape", "bomb", "loop", "os-exit", "segfault", "snooper",
                  "solution", "correct", "partial", "unsolved")


@NEEDS_FULL
def test_cold_kernels_give_the_same_verdicts_as_warm_ones(batch, tmp_path):
    """The batch above ran with warm kernels (forked from a template, the default); the same
    attacks and controls that reach a kernel, every kernel started cold, get the same points,
    statuses and flags (the fork bomb aside: whether it ends as a timeout or a failure depends
    on timing, either way)."""
    subs = tmp_path / "entregas"  # the ones that reach a kernel (not the unreadable files)
    subs.mkdir()
    for path in batch["subs"].glob("*.ipynb"):
        if any(k in path.stem for k in KERNEL_ATTACKS) and "fork-bomb" not in path.stem:
            shutil.copy(path, subs / path.name)
    out = tmp_path / "cold.csv"
    cli.main(["grade", str(subs), "--solutions", str(SOLUTIONS), "--out", str(out),
              "-j", "2", *LIMITS, *ISOLATION, "--no-warm-kernels"])
    def verdicts(rows):
        return {(r["student"], r["question"]): (r["points"], r["status"], r["flags"])
                for r in rows if (subs / f"{r['student']}.ipynb").exists()}
    cold = verdicts(read_gradebook(out))
    assert len(cold) >= 3 * 15 and cold == verdicts(batch["rows"])


@NEEDS_FULL
def test_writes_outside_scratch_do_not_outlive_the_submission(batch):
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        assert not os.path.exists(f"{folder}/tlkit-fuga-7c1e"), folder
    assert not os.path.exists("/dev/shm/tlkit-relleno-7c1e")


def test_fork_bomb_is_contained(batch):
    if not isolation.process_cap_enforced(isolation.resolve_isolation(ISOLATION[1])):
        pytest.skip("running as root without namespaces: RLIMIT_NPROC cannot bind the kernel")
    statuses = _status(batch, "fork-bomb")
    assert statuses["ej1"] in ("timeout", "failed")
    assert _rows(batch, "fork-bomb")[0]["reason"]


def test_feedback_in_spanish_for_every_student(batch):
    files = sorted(p.stem for p in batch["feedback"].glob("*.md"))
    assert files == sorted({r["student"] for r in batch["rows"]})
    text = (batch["feedback"] / "submission-partial.md").read_text()
    assert "# Corrección de submission-partial" in text
    assert "3 / 5 puntos" in text and "❌ incorrecto" in text
    assert "prueba-oculta" not in text  # hidden test source never shown


@NEEDS_FULL
def test_hidden_tests_cannot_be_read_from_disk(batch, tmp_path):
    assert _points(batch, "snooper") == 5  # found nothing, answered right
    # Control: in basic isolation the solutions folder is readable, and the snooper finds it.
    path = snooper_submission(tmp_path)
    results = grade([path], SOLUTIONS, options=GradeOptions(
        timeout_cell=5, timeout_total=30, memory_mb=500, isolation="basic"))
    assert {r.question: r.status for r in results[0].rows}["ej1"] == "failed"


def test_total_timeout_gives_rows_and_goes_on(tmp_path):
    subs = [SUBMISSIONS / "submission-stubborn-loop.ipynb",
            SUBMISSIONS / "submission-malformed-json.ipynb"]
    results = grade(subs, SOLUTIONS, options=GradeOptions(
        timeout_cell=30, timeout_total=4, memory_mb=500, isolation=ISOLATION[1]),
        out=tmp_path / "g.csv")
    rows = {r["student"]: r for r in read_gradebook(tmp_path / "g.csv")}
    assert rows["submission-stubborn-loop"]["status"] == "timeout"
    assert "tiempo total" in rows["submission-stubborn-loop"]["reason"]
    assert rows["submission-malformed-json"]["status"] == "invalid"
    assert max(r.seconds for r in results) < 15


def test_gradebook_is_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "gradebook.csv"
    row = Row("ana", "00_ejemplo", "ej1", 2, 2, "passed")
    write_gradebook([row], path)
    before = path.read_bytes()

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_gradebook([row, Row("ana", "00_ejemplo", "ej2", 0, 2, "failed", "x")], path)
    assert path.read_bytes() == before  # old gradebook intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gradebook.csv"]  # no temp left
    assert before.decode().splitlines()[0] == ",".join(COLUMNS)


def test_shard_splits_sorted_submissions_deterministically(tmp_path):
    subs = discover([SUBMISSIONS])
    parts = [shard(subs, i, 3) for i in (1, 2, 3)]
    assert sorted(s for part in parts for s in part) == sorted(subs)
    assert sum(len(p) for p in parts) == len(subs)
    assert shard(list(reversed(subs)), 2, 3) == parts[1]
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "x", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)
    # Through the CLI, on submissions that need no kernel.
    folder = tmp_path / "entregas"
    folder.mkdir()
    for name in ("ana", "bea", "carla", "dani"):
        (folder / f"{name}.ipynb").write_text("no es json")
    out = tmp_path / "g.csv"
    assert cli.main(["grade", str(folder), "--solutions", str(SOLUTIONS), "--out", str(out),
                     "--shard", "2/2", *ISOLATION]) == 0
    assert sorted({r["student"] for r in read_gradebook(out)}) == ["bea", "dani"]


def test_student_names_from_files_and_folders(tmp_path):
    (tmp_path / "ana").mkdir()
    (tmp_path / "ana" / "00_ejemplo.ipynb").write_text("{}")
    (tmp_path / "bea.ipynb").write_text("{}")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")
    assert [(s.student, s.path.name) for s in discover([tmp_path])] == [
        ("ana", "00_ejemplo.ipynb"), ("bea", "bea.ipynb")]


def test_grader_errors_exit_nonzero(tmp_path, capsys):
    assert cli.main(["grade", str(SUBMISSIONS), "--solutions", str(tmp_path / "nada"),
                     "--out", str(tmp_path / "g.csv"), *ISOLATION]) == 2
    assert "solutions folder not found" in capsys.readouterr().err


def test_grader_failure_on_a_submission_exits_one(tmp_path, monkeypatch, capsys):
    from tlkit.grading.batch import one_submission as grade_module

    def broken(*args, **kwargs):
        raise RuntimeError("worker could not start")

    monkeypatch.setattr(grade_module, "run_worker", broken)
    out = tmp_path / "g.csv"
    code = cli.main(["grade", str(SUBMISSIONS / "submission-correct.ipynb"),
                     str(SUBMISSIONS / "submission-malformed-json.ipynb"),
                     "--solutions", str(SOLUTIONS), "--out", str(out), *ISOLATION])
    assert code == 1 and "failed on 1 submission" in capsys.readouterr().err
    rows = read_gradebook(out)
    assert {r["student"]: r["status"] for r in rows} == {
        "submission-correct": "error", "submission-malformed-json": "invalid"}


def test_job_crosses_the_process_boundary_through_one_serialiser():
    job = Job(cells=(Cell("x = 1", "given"), Cell("y = 'ñ'", "student")), scratch="/sandbox",
              timeout_cell=2.5, timeout_given=30, isolation="full", uid=1000000001,
              limits=Limits(memory_mb=500, nproc=48, disk_mb=64, cpu_s=70), files=("/a/b.csv",))
    assert job_from_json(dumps(job)) == job
    assert limits_from_json(dumps(job.limits)) == job.limits
    with pytest.raises(TypeError):  # an unknown key is an error, not silently dropped
        limits_from_json('{"memory_mb": 1, "memroy_mb": 2}')


def test_kernel_environment_and_kernelspec(tmp_path, monkeypatch):
    monkeypatch.setenv("TLKIT_PROFILE", "fast")
    monkeypatch.setenv("SOME_API_TOKEN", "secreto")
    env = sandbox_env(str(tmp_path))
    assert env["TLKIT_CHECK_STRICT"] == "1" and env["TLKIT_OFFLINE"] == "1"
    assert env["TLKIT_PROFILE"] == "fast" and "SOME_API_TOKEN" not in env
    write_kernelspec(tmp_path / "jupyter", Job(cells=(), scratch=str(tmp_path), timeout_cell=1,
                                               timeout_given=1, isolation="basic",
                                               limits=Limits(memory_mb=500, nproc=64)))
    spec = json.loads((tmp_path / "jupyter" / "kernels" / "python3" / "kernel.json").read_text())
    assert spec["argv"][:3] == [sys.executable, "-m", "tlkit.grading.inside.kernel_launch"]
    assert spec["argv"][-2:] == ["-f", "{connection_file}"]
    assert spec["argv"][3:5] == ["--limits", dumps(Limits(memory_mb=500, nproc=64))]


def test_a_failing_statement_cell_is_the_graders_error(tmp_path):
    """A given cell that fails before any student code ran (a missing package, a memory cap
    too low) is the grader's problem: `error` rows naming it, never a silent 0."""
    import nbformat

    solutions = tmp_path / "solutions"
    solutions.mkdir()
    notebook = nbformat.read(SOLUTIONS / "00_ejemplo.ipynb", as_version=4)
    first = next(c for c in notebook.cells if c.cell_type == "code")
    first.source = "import paquete_que_no_existe_xyz\n" + first.source
    nbformat.write(notebook, solutions / "00_ejemplo.ipynb")
    out = tmp_path / "g.csv"
    code = cli.main(["grade", str(SUBMISSIONS / "submission-correct.ipynb"), "--solutions",
                     str(solutions), "--out", str(out), "--timeout-cell", "10",
                     "--memory", "500", *ISOLATION])
    rows = read_gradebook(out)
    assert code == 1
    assert rows and all(r["status"] == "error" for r in rows)
    assert all("una celda del enunciado falló: ModuleNotFoundError" in r["reason"] for r in rows)


def test_slow_given_cells_have_their_own_budget(tmp_path):
    """Every given cell slowed past the per-cell limit: the untouched solution still scores
    full marks (given cells get --timeout-given), and a given cell past its own budget is an
    `error` row with exit status 1, never a silent 0."""
    import nbformat

    solutions = tmp_path / "solutions"
    solutions.mkdir()
    notebook = nbformat.read(SOLUTIONS / "00_ejemplo.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "tlkit" not in cell.metadata and "BEGIN" not in cell.source:
            cell.source = "import time\ntime.sleep(1.6)\n" + cell.source
    nbformat.write(notebook, solutions / "00_ejemplo.ipynb")
    student = tmp_path / "entregas" / "00_ejemplo.ipynb"
    student.parent.mkdir()
    shutil.copy(solutions / "00_ejemplo.ipynb", student)
    out = tmp_path / "g.csv"
    common = [str(student), "--solutions", str(solutions), "--out", str(out),
              "--timeout-cell", "1", "--memory", "500", *ISOLATION]
    assert cli.main(["grade", *common]) == 0
    assert {r["status"] for r in read_gradebook(out)} == {"passed"}
    assert cli.main(["grade", *common, "--timeout-given", "1"]) == 1
    rows = read_gradebook(out)
    assert {r["status"] for r in rows} == {"error"}
    assert "enunciado superó su límite de 1 s" in rows[0]["reason"]


def test_weaker_isolation_than_asked_is_an_error_unless_allowed(tmp_path, monkeypatch, capsys):
    """On a machine without bubblewrap or cgroups (simulated), `full` stops with the reason;
    --allow-weaker grades in basic mode and says so in the gradebook and the terminal."""
    monkeypatch.setattr(isolation, "full_isolation_available", lambda: False)
    out = tmp_path / "g.csv"
    args = ["grade", str(SUBMISSIONS / "submission-malformed-json.ipynb"),
            "--solutions", str(SOLUTIONS), "--out", str(out)]
    assert cli.main(args) == 2
    assert "full isolation is not available" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main([*args, "--allow-weaker"]) == 0
    assert read_gradebook(out)[0]["isolation"] == "basic"
    printed = capsys.readouterr().out
    assert "isolation: WEAKER THAN ASKED" in printed and "basic: rlimits" in printed
