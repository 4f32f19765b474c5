"""The batch without a kernel: collecting once, and the schedule (warm-ups first, nobody waits
while work is ready)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from tlkit.grading.batch.collect import assignments_to_warm, collect
from tlkit.grading.batch.schedule import schedule
from tlkit.grading.intake.identify import Entry
from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.intake.submission import ReadResult, Submission

NOTEBOOK = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}


def _notebook(path: Path, text: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else json.dumps(NOTEBOOK), encoding="utf-8")
    return path


def test_a_student_with_two_copies_is_graded_once_and_told_which(tmp_path):
    assignments = {"00_demo": Assignment("00_demo", tmp_path / "00_demo.ipynb", [])}
    subs = [Submission("ana", _notebook(tmp_path / "ana" / "00_demo.ipynb")),
            Submission("ana", _notebook(tmp_path / "ana" / "copia" / "00_demo (1).ipynb")),
            Submission("luis", _notebook(tmp_path / "luis" / "00_demo.ipynb", "{ roto"))]
    entries = collect(subs, assignments)
    assert [(e.submission.student, e.submission.path.name) for e in entries] == [
        ("ana", "00_demo.ipynb"), ("luis", "00_demo.ipynb")]
    assert entries[0].flags == ("duplicate-submission",)
    assert "«00_demo (1).ipynb»" in entries[0].notes[0]
    assert assignments_to_warm(entries) == []  # one readable submission: not worth a warm-up


def _entry(student: str, assignment: str) -> Entry:
    sub = Submission(student, Path(f"{student}.ipynb"))
    return Entry(sub, ReadResult(), Assignment(assignment, Path("x"), []))


def test_warm_ups_run_first_and_only_their_own_students_wait():
    entries = [_entry("ana", "a"), _entry("luis", "b"), _entry("eva", "a")]
    order, lock = [], threading.Lock()

    def grade(entry):
        with lock:
            order.append(entry.submission.student)
        return entry.submission.student

    def warm_up(name):
        time.sleep(0.2)  # long enough for the other thread to take everything it may
        with lock:
            order.append(f"warm {name}")

    assignment_of = {e.submission: e.assignment.name for e in entries}
    results = schedule(entries, assignment_of, ["a"], set(), 2, grade, warm_up)
    assert results == ["ana", "luis", "eva"]  # in the entries' order
    assert order.index("luis") < order.index("warm a") < order.index("ana")
    assert order.index("warm a") < order.index("eva")


def test_a_warm_up_that_raises_releases_its_students_then_says_so():
    entries, graded = [_entry("ana", "a")], []

    def warm_up(name):
        raise OSError("disco lleno")

    with pytest.raises(OSError, match="disco lleno"):
        schedule(entries, {entries[0].submission: "a"}, ["a"], set(), 1, graded.append, warm_up)
    assert graded == entries
