"""merge-grades checks every shard against its manifest (kernel-free: shards written by hand
the way `tlkit grade --shard` writes them): one run id, one version of each assignment, the
gradebook its manifest describes, rows of the shard's own students, feedback inside the shard's
folder; a missing shard is named."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tlkit.grading.reports.gradebook import COLUMNS
from tlkit.grading.reports.shards import MergeError, manifest_name, manifest_text, merge, shard
from tlkit.grading.intake.submission import Submission

CLASS = [Submission(name, Path(f"/x/{name}.ipynb")) for name in ("ana", "bea", "carla", "dani")]


def _row(student: str, assignment: str = "00_ejemplo") -> list[str]:
    row = dict.fromkeys(COLUMNS, "")
    row.update(student=student, assignment=assignment, question="ej1", points="1",
               max_points="1", status="passed", isolation="full", lms="folder", attempt="1")
    return [row[c] for c in COLUMNS]


def write_shard(folder: Path, index: int, count: int, *, run_id="run-1", version="v1",
                rows=None, feedback="feedback") -> Path:
    folder.mkdir(parents=True)
    mine = shard(CLASS, index, count)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows if rows is not None else [_row(s.student) for s in mine])
    text = buffer.getvalue()
    (folder / "gradebook.csv").write_text(text, encoding="utf-8")
    (folder / "feedback").mkdir()
    for sub in mine:
        (folder / "feedback" / f"{sub.student}.md").write_text(f"# {sub.student}\n")
    (folder / manifest_name("gradebook.csv")).write_text(manifest_text(
        CLASS, (index, count), "gradebook.csv", feedback, "full", run_id=run_id,
        versions={"00_ejemplo": version}, gradebook_text=text))
    return folder / "gradebook.csv"


def test_shards_of_one_run_merge(tmp_path):
    books = [write_shard(tmp_path / f"s{i}", i, 2) for i in (1, 2)]
    report = merge(books, tmp_path / "out" / "gradebook.csv", tmp_path / "out" / "fb",
                   run_id="run-1")
    assert report["students"] == 4 and report["feedback"] == 4
    merged = json.loads((tmp_path / "out" / manifest_name("gradebook.csv")).read_text())
    assert merged["run_id"] == "run-1" and merged["assignments"] == {"00_ejemplo": "v1"}


def test_a_missing_shard_is_named(tmp_path):
    books = [write_shard(tmp_path / f"s{i}", i, 3) for i in (1, 3)]
    with pytest.raises(MergeError, match=r"missing: shard\(s\) 2 of 3"):
        merge(books, tmp_path / "out.csv")


def test_a_gradebook_that_is_not_there_is_named_as_such(tmp_path):
    book = write_shard(tmp_path / "s1", 1, 2)
    with pytest.raises(MergeError, match="s9/gradebook.csv: no such gradebook$"):
        merge([book, tmp_path / "s9" / "gradebook.csv"], tmp_path / "out.csv")
    with pytest.raises(MergeError, match="no such gradebook .a folder"):
        merge([book, tmp_path / "s1"], tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_shards_of_two_runs_are_refused(tmp_path):
    books = [write_shard(tmp_path / "s1", 1, 2, run_id="run-1"),
             write_shard(tmp_path / "s2", 2, 2, run_id="run-0")]
    with pytest.raises(MergeError, match="different runs"):
        merge(books, tmp_path / "out.csv")
    with pytest.raises(MergeError, match="expected 'run-1'"):
        merge(books, tmp_path / "out.csv", run_id="run-1")
    assert not (tmp_path / "out.csv").exists()


def test_different_assignment_versions_are_refused(tmp_path):
    books = [write_shard(tmp_path / "s1", 1, 2, version="v1"),
             write_shard(tmp_path / "s2", 2, 2, version="v2")]
    with pytest.raises(MergeError, match="differs between shards 1 and 2"):
        merge(books, tmp_path / "out.csv")


def test_a_forged_row_is_refused(tmp_path):
    book = write_shard(tmp_path / "s1", 1, 2)
    other = write_shard(tmp_path / "s2", 2, 2)
    with open(book, "a", encoding="utf-8") as handle:  # an edit after grading
        handle.write(",".join(_row("ana")) + "\n")
    with pytest.raises(MergeError, match="changed since tlkit grade wrote it"):
        merge([book, other], tmp_path / "out.csv")


def test_a_row_of_a_student_outside_the_shard_is_refused(tmp_path):
    mine = [s.student for s in shard(CLASS, 1, 2)]
    book = write_shard(tmp_path / "s1", 1, 2, rows=[_row(s) for s in mine] + [_row("bea")])
    other = write_shard(tmp_path / "s2", 2, 2)
    with pytest.raises(MergeError, match="student 'bea' is not in shard 1"):
        merge([book, other], tmp_path / "out.csv")


@pytest.mark.parametrize("feedback", ["../../elsewhere", "/etc"])
def test_feedback_outside_the_shard_is_refused(tmp_path, feedback):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.md").write_text("not from this shard")
    books = [write_shard(tmp_path / "a" / "s1", 1, 2, feedback=feedback),
             write_shard(tmp_path / "a" / "s2", 2, 2)]
    with pytest.raises(MergeError, match="outside the shard's folder"):
        merge(books, tmp_path / "out.csv", tmp_path / "fb")
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "fb").exists()


def test_a_symlinked_feedback_file_is_refused(tmp_path):
    books = [write_shard(tmp_path / f"s{i}", i, 2) for i in (1, 2)]
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (tmp_path / "s1" / "feedback" / "zz.md").symlink_to(secret)
    with pytest.raises(MergeError, match="symlink"):
        merge(books, tmp_path / "out.csv", tmp_path / "fb")


def test_students_of_one_name_are_told_apart_by_their_platform_id(tmp_path):
    """Manifests key students by ``Submission.who`` (the platform's id, issue #20): two Moodle
    "Ana García" go to their own shards and each row is checked against its own shard."""
    twins = [Submission("Ana García", Path(f"/x/{pid}.ipynb"), pid, "moodle")
             for pid in ("101", "102")]

    def row(pid):
        values = dict(zip(COLUMNS, _row("Ana García")))
        values.update(student_id=pid, lms="moodle")
        return [values[c] for c in COLUMNS]

    books = []
    for index, sub in enumerate(shard(twins, 1, 2) + shard(twins, 2, 2), start=1):
        folder = tmp_path / f"s{index}"
        folder.mkdir()
        text = _csv([COLUMNS, row(sub.student_id)])
        (folder / "g.csv").write_text(text, encoding="utf-8")
        (folder / manifest_name("g.csv")).write_text(manifest_text(
            twins, (index, 2), "g.csv", None, "full", run_id="r", gradebook_text=text))
        books.append(folder / "g.csv")
    assert merge(books, tmp_path / "out.csv", run_id="r")["students"] == 2
    swapped = tmp_path / "s1" / "g.csv"
    other = shard(twins, 2, 2)[0].student_id  # shard 2's student, written in shard 1
    text = _csv([COLUMNS, row(other)])
    swapped.write_text(text, encoding="utf-8")
    (tmp_path / "s1" / manifest_name("g.csv")).write_text(manifest_text(
        twins, (1, 2), "g.csv", None, "full", run_id="r", gradebook_text=text))
    with pytest.raises(MergeError, match=r"Ana García \(moodle 10[12]\)' is not in shard 1"):
        merge(books, tmp_path / "out2.csv", run_id="r")


def _csv(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
