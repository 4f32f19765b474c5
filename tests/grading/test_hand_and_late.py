"""batch.hand_and_late without kernels: lateness from each platform's evidence, the penalty row
and its recomputation when hand grades arrive later."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from tlkit.grading.batch.hand_and_late import LateSettings, apply_late
from tlkit.grading.batch.one_submission import SubmissionResult
from tlkit.grading.intake.submission import Submission
from tlkit.grading.late_policy import Handed, LatePolicy, parse_rule
from tlkit.grading.reports.late_penalty import refresh_penalties
from tlkit.grading.reports.manual_grades import ManualGrade, apply_manual
from tlkit.grading.scoring.row import Row

MADRID = timezone(timedelta(hours=1))
DUE = datetime(2026, 12, 5, 23, 59, tzinfo=MADRID)


def _result(student, sid="", lms="folder", late=False, written=False):
    rows = [Row(student, "00_ejemplo", "ej1", 2.0, 2.0, "passed"),
            Row(student, "00_ejemplo", "ej2", 1.0, 2.0, "failed")]
    if written:
        rows.append(Row(student, "00_ejemplo", "ej3", 0.0, 2.0, "pending", student_id=sid))
    return SubmissionResult(Submission(student, Path(f"{student}.ipynb"), sid, lms, 1, late),
                            "00_ejemplo", rows)


def _penalty(result):
    return [r for r in result.rows if r.status == "late"]


def test_each_platform_s_evidence_of_lateness():
    settings = LateSettings(LatePolicy(DUE, parse_rule("zero")), {
        "101": Handed(DUE - timedelta(hours=1), True),  # the time wins over a stale mark
        "102": Handed(DUE + timedelta(minutes=5), False)})
    results = [_result("ana", "101", "moodle"), _result("luis", "102", "moodle"),
               _result("eva", "2003", "canvas", late=True), _result("zoe", "2004", "canvas"),
               _result("pia")]
    notes = apply_late(results, settings)
    ana, luis, eva, zoe, pia = results
    assert not _penalty(ana) and not ana.submission.late
    assert [(r.points, r.question) for r in _penalty(luis)] == [(-3.0, "retraso")]
    assert luis.submission.late and "1 día(s)" in _penalty(luis)[0].reason
    assert _penalty(eva)[0].points == -3.0 and "sin decir cuándo" in _penalty(eva)[0].reason
    assert not _penalty(zoe)  # Canvas marks late files: no mark, on time
    assert not _penalty(pia)
    assert notes == ["late policy: no hand-in time for 1 submission(s) (e.g. pia): counted on "
                     "time; for Moodle pass the grading worksheet with --worksheet"]


def test_no_policy_changes_nothing():
    results = [_result("luis", "102", "moodle", late=True)]
    assert apply_late(results, None) == [] and not _penalty(results[0])


def test_the_penalty_follows_hand_grades_merged_later():
    result = _result("luis", "102", "moodle", late=True, written=True)
    apply_late([result], LateSettings(LatePolicy(DUE, parse_rule("25%/day")), {}))
    [row] = _penalty(result)
    assert row.points == -0.75 and "se restan 0.75 de 3 puntos" in row.reason
    graded, _ = apply_manual(result.rows, [ManualGrade("luis", "102", "00_ejemplo", "ej3", 2.0,
                                                       "bien", 2)])
    [again] = [r for r in refresh_penalties(graded) if r.status == "late"]
    assert again.points == -1.25 and "se restan 1.25 de 5 puntos" in again.reason
    as_dicts = refresh_penalties([{**r.__dict__} for r in graded])
    assert [d["points"] for d in as_dicts if d["status"] == "late"] == [-1.25]
