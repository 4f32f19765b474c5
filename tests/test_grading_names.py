"""Names and outputs that cannot break a run: any bytes as a name, unique feedback files, CSV
cells that are not formulas, no control characters, no writes through symlinks, and the
submission list (``entregas/*``, duplicates, symlinks, nested JSON). One graded class, mostly
of notebooks that need no kernel."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tlkit import cli
from tlkit.grading.intake.discover import discover
from tlkit.grading.reports.gradebook import read_gradebook
from tlkit.grading.reports.outputs import OutputError, OutputFolder
from tlkit.grading.safe_text import csv_cell, file_stem
from tlkit.grading.sandbox import isolation

pytestmark = pytest.mark.kernel  # grades through sandboxed kernels (docs/grading.md)

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
SOLUTIONS = FIXTURES / "solutions"
SUBMISSIONS = FIXTURES / "submissions"
ISOLATION = ["--isolation", "full" if isolation.full_isolation_available() else "basic"]
BROKEN = SUBMISSIONS / "submission-malformed-json.ipynb"
HOSTILE_NAMES = [
    b"Ana Mar\xeda",  # Latin-1 from a Windows zip: not UTF-8
    "Ana María".encode(), "Ana_María".encode(), b"___", b"...", b"x" * 240,
    b"=HYPERLINK(\"x\")", b"+cmd", b"-2+3", b"@SUM(A1)",
    b"\x1b[2J\x1b[31mrojo", b"tab\tcr\rnul",
]


@pytest.fixture(scope="module")
def names_batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("names")
    class_dir = base / "entregas"
    os.makedirs(class_dir)
    for raw in HOSTILE_NAMES:
        folder = os.path.join(os.fsencode(class_dir), raw)
        os.mkdir(folder)
        shutil.copy(BROKEN, os.path.join(folder, b"00_ejemplo.ipynb"))
    # Two copies of one notebook in a student's folder: graded once, flagged.
    (class_dir / "dos-copias").mkdir()
    shutil.copy(SUBMISSIONS / "submission-unsolved.ipynb", class_dir / "dos-copias" / "00_ejemplo.ipynb")
    shutil.copy(SUBMISSIONS / "submission-unsolved.ipynb",
                class_dir / "dos-copias" / "00_ejemplo (1).ipynb")
    # A symlinked notebook (to the instructor's solution) and a symlinked folder.
    (class_dir / "enlace").mkdir()
    (class_dir / "enlace" / "00_ejemplo.ipynb").symlink_to(SOLUTIONS / "00_ejemplo.ipynb")
    (class_dir / "carpeta-enlazada").symlink_to(SOLUTIONS, target_is_directory=True)
    # JSON nested deeper than Python's recursion limit.
    (class_dir / "anidado").mkdir()
    (class_dir / "anidado" / "00_ejemplo.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    out, feedback = base / "salida" / "gradebook.csv", base / "salida" / "feedback"
    code = cli.main(["grade", str(class_dir), "--solutions", str(SOLUTIONS), "--out", str(out),
                     "--feedback", str(feedback), "--timeout-cell", "10", *ISOLATION])
    return {"code": code, "rows": read_gradebook(out), "csv": out.read_bytes(),
            "feedback": feedback, "class": class_dir}


def test_every_name_gets_its_row_and_its_own_feedback_file(names_batch):
    students = {r["student"] for r in names_batch["rows"]}
    # 12 hostile names + dos-copias + enlace + carpeta-enlazada + anidado
    assert len(students) == len(HOSTILE_NAMES) + 4
    files = sorted(p.name for p in names_batch["feedback"].iterdir())
    assert len(files) == len(students)  # "Ana María", "Ana_María", "___", "..." never collide
    assert all(len(name.encode()) < 120 for name in files)
    assert names_batch["code"] == 0


def test_no_formula_or_control_character_reaches_csv_or_feedback(names_batch):
    text = names_batch["csv"].decode("utf-8")
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "-", "@")), line
    bad = [chr(c) for c in range(32) if chr(c) not in "\n"] + ["\x7f"]
    assert not any(ch in text for ch in bad)
    for path in names_batch["feedback"].iterdir():
        body = path.read_text(encoding="utf-8")
        assert not any(ch in body for ch in bad if ch != "\t"), path.name
        assert "\x1b" not in body and "<" not in body.replace("&lt;", "")
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("\ttab") == "tab"  # collapsed first


def test_two_copies_of_one_notebook_are_graded_once_and_flagged(names_batch):
    rows = [r for r in names_batch["rows"] if r["student"] == "dos-copias"]
    assert len(rows) == 3 and all("duplicate-submission" in r["flags"] for r in rows)
    assert sum(r["max_points"] for r in rows) == 5  # not 10


def test_symlinks_are_not_followed_and_nested_json_is_invalid(names_batch):
    by = {r["student"]: r for r in names_batch["rows"]}
    assert by["enlace"]["status"] == "invalid" and "symlink" in by["enlace"]["flags"]
    assert by["enlace"]["points"] == 0  # the instructor's solution was not graded
    assert by["carpeta-enlazada"]["status"] == "invalid"
    assert by["anidado"]["status"] == "invalid" and "anidado" in by["anidado"]["reason"]


def test_files_given_directly_are_named_by_folder_when_stems_repeat(tmp_path):
    for name in ("ana", "bea"):
        (tmp_path / name).mkdir()
        shutil.copy(BROKEN, tmp_path / name / "00_ejemplo.ipynb")
    direct = discover(sorted(tmp_path.glob("*/*.ipynb")))  # tlkit grade entregas/*/*.ipynb
    folders = discover(sorted(tmp_path.glob("*")))  # tlkit grade entregas/*
    assert [s.student for s in direct] == ["ana", "bea"]
    assert [s.student for s in folders] == ["ana", "bea"]
    assert [s.student for s in discover([tmp_path / "ana" / "00_ejemplo.ipynb"])] == ["00_ejemplo"]


def test_feedback_file_names_are_unique_and_bounded():
    names = ["Ana María", "Ana_María", "___", "...", "x" * 240, "ana", "Ana"]
    stems = [file_stem(n) for n in names]
    assert len(set(stems)) == len(names)
    assert file_stem("ana") == "ana" and all(len(s.encode()) <= 100 for s in stems)


def test_outputs_are_not_written_through_symlinks(tmp_path):
    folder = OutputFolder(tmp_path / "salida")
    elsewhere = tmp_path / "otra"
    elsewhere.mkdir()
    (tmp_path / "salida" / "g.csv").symlink_to(elsewhere / "victima")
    folder.write("g.csv", "a,b\n")  # replaces the link, does not write through it
    assert not (elsewhere / "victima").exists()
    assert not (tmp_path / "salida" / "g.csv").is_symlink()
    shutil.rmtree(tmp_path / "salida")
    (tmp_path / "salida").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutputError):
        folder.write("g.csv", "a,b\n")
    assert list(elsewhere.iterdir()) == []


def test_terminal_summary_strips_escapes(tmp_path, capsys):
    folder = tmp_path / "entregas" / "\x1b[2J\x1b[31mrojo"
    folder.mkdir(parents=True)
    shutil.copy(BROKEN, folder / "00_ejemplo.ipynb")
    cli.main(["grade", str(tmp_path / "entregas"), "--solutions", str(SOLUTIONS),
              "--out", str(tmp_path / "g.csv"), *ISOLATION])
    printed = capsys.readouterr().out
    assert "rojo" in printed and "\x1b" not in printed
