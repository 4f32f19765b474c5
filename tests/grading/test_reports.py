"""Reports without a kernel: CSV safety, feedback, the terminal summary, shards and merge."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tlkit.grading import messages
from tlkit.grading.intake.submission import Submission
from tlkit.grading.reports import shards
from tlkit.grading.reports.feedback import render_feedback
from tlkit.grading.reports.gradebook import COLUMNS, gradebook_text
from tlkit.grading.reports.summary import summary_table
from tlkit.grading.safe_text import csv_cell, markdown_cell, short
from tlkit.grading.scoring.row import Row


@dataclass
class Result:  # the fields of ``batch.one_submission.SubmissionResult`` reports read
    submission: Submission
    assignment: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)


@pytest.mark.parametrize("text, cell", [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1", "'+1"), ("-1", "'-1"), ("@a", "'@a"),
    ("ana", "ana"), ("a\nb\x1b[31m", "a b"),
])
def test_csv_cells_never_start_a_formula_nor_break_a_line(text, cell):
    assert csv_cell(text) == cell


def test_gradebook_text_is_csv_with_the_row_columns_and_safe_cells():
    rows = [Row("=ana", "00", "ej1", 1.0, 2.0, "failed", "+mal")]
    parsed = list(csv.reader(io.StringIO(gradebook_text(rows))))
    assert parsed[0] == COLUMNS and parsed[1][:7] == ["'=ana", "00", "ej1", "1", "2", "failed",
                                                      "'+mal"]


def test_one_line_capped_marks_the_cut():
    assert short("a  b\n c") == "a b c"
    assert short("x" * 10, 5) == "xxxx…" and len(short("y" * 500)) == 300


def test_feedback_uses_the_labels_and_escapes_student_text():
    result = Result(Submission("<b>ana</b>", Path("ana.ipynb")), "00",
                    [Row("ana", "00", "ej1", 0, 2, "failed", "a | b"),
                     Row("ana", "00", "ej2", 2, 2, "passed")], ["Una nota."])
    text = render_feedback("<b>ana</b>", [result])
    assert "&lt;b&gt;ana&lt;/b&gt;" in text and "<b>" not in text
    assert messages.LABELS["failed"] in text and messages.LABELS["passed"] in text
    assert "a \\| b" in text and "- Una nota." in text and "2 / 4 puntos" in text
    assert markdown_cell("`x`") == "'x'"


def test_summary_has_one_line_per_submission_with_status_counts():
    rows = [Row("ana", "00", "ej1", 2, 2, "passed"), Row("ana", "00", "ej2", 0, 2, "failed"),
            Row("luis", "00", "ej1", 0, 2, "timeout", flags="reordered")]
    lines = summary_table(rows).splitlines()
    assert len(lines) == 4
    assert "2/4" in lines[2] and "failed=1 passed=1" in lines[2]
    assert lines[3].endswith("reordered")


def _shard_run(folder: Path, everyone, spec, rows, feedback=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "g.csv").write_text(gradebook_text(rows), encoding="utf-8")
    (folder / shards.manifest_name("g.csv")).write_text(
        shards.manifest_text(everyone, spec, "g.csv", feedback, "basic"), encoding="utf-8")
    return folder / "g.csv"


def test_shards_cover_the_class_once_and_merge_into_one_gradebook(tmp_path):
    everyone = [Submission(name, Path(f"{name}.ipynb")) for name in ("ana", "luis", "eva")]
    assert shards.parse_shard("2/3") == (2, 3)
    with pytest.raises(ValueError):
        shards.parse_shard("4/3")
    parts = [shards.shard(everyone, i, 2) for i in (1, 2)]
    assert sorted(s.student for part in parts for s in part) == ["ana", "eva", "luis"]
    paths = [_shard_run(tmp_path / f"s{i}", everyone, (i, 2),
                        [Row(s.student, "00", "ej1", 1, 1, "passed") for s in part])
             for i, part in zip((1, 2), parts)]
    report = shards.merge(paths, tmp_path / "todo.csv")
    assert report["students"] == 3 and report["rows"] == 3
    merged = list(csv.reader(open(tmp_path / "todo.csv", encoding="utf-8")))
    assert [r[0] for r in merged[1:]] == ["ana", "eva", "luis"]


def test_a_missing_or_repeated_shard_is_refused(tmp_path):
    everyone = [Submission(name, Path(f"{name}.ipynb")) for name in ("ana", "luis")]
    one = _shard_run(tmp_path / "a", everyone, (1, 2), [])
    with pytest.raises(shards.MergeError, match="expected each of 1..2"):
        shards.merge([one], tmp_path / "todo.csv")
    again = _shard_run(tmp_path / "b", everyone, (1, 2), [])
    with pytest.raises(shards.MergeError):
        shards.merge([one, again], tmp_path / "todo.csv")
