"""What crosses the sandbox's boundary: a job in, typed events out, each parsed once."""

from __future__ import annotations

from tlkit.grading.options import Limits
from tlkit.grading.protocol import (CellRun, Done, Job, KernelStarted, Stuck, WorkerRun, Cell,
                                    dumps, event_line, job_from_json, parse_event)


def test_every_event_survives_its_line():
    for event in (KernelStarted(42, 1.5), CellRun(3, "error", "ValueError", "mal", "out", True,
                                                  0.25), Stuck(), Done()):
        assert parse_event(event_line(event)) == event


def test_lines_that_are_not_events_are_ignored():
    for line in ("", "hola", "[1, 2]", '{"event": "otro"}', '{"event": "cell"}', "null"):
        assert parse_event(line) is None


def test_a_run_records_what_the_events_say():
    run = WorkerRun()
    for event in (KernelStarted(7, 2.0), CellRun(0, "ok"), CellRun(1, "timeout"), Stuck()):
        run.record(event)
    assert run.started and run.kernel_seconds == 2.0 and run.stuck and not run.done
    assert sorted(run.cells) == [0, 1] and run.cells[1].status == "timeout"


def test_a_job_survives_its_json():
    job = Job(cells=(Cell("x = 1", "given"), Cell("ñ = 2", "student")), scratch="/sandbox",
              timeout_cell=5, timeout_given=50, isolation="full", limits=Limits(memory_mb=64),
              uid=123, files=("/sandbox/files/a.csv",), template_socket="/run/s.sock")
    assert job_from_json(dumps(job)) == job
