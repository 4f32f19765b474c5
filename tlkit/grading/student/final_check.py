"""The student's last cell: visible verdicts, the grader's integrity check, what to hand in.

Each visible test's verdict is the one ``check`` recorded where the test cell ran (the grader
runs the notebook top to bottom, so that is what counts); a test never run, or whose cell was
edited or deleted, is run now from its original source (marked ``*``).

``check_submission`` is called by the cell ``tlkit assign`` appends to every exercise (see
``authoring.add_submission_check``), with the locked cells' checksums and the visible tests
embedded in the cell, because a kernel cannot always read its own notebook (where it finds it:
``own_notebook``; without it, the check is partial and says so).

Integrity is judged by the grader's own code (``read_submission`` and ``build_plan``), with an
assignment rebuilt from the embedded data. Hidden tests are never named: only their point total.
Nothing here raises into the notebook: every failure becomes a sentence. What it says is laid
out once (``report.sections``) and shown as an HTML table (``report_html``) with the same text
as plain output (``report.render``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

from tlkit.grading.cells import MARKDOWN_PLACEHOLDER
from tlkit.grading.messages import FINAL_CHECK, plan_sentences
from tlkit.grading.safe_text import short
from tlkit.grading.student.own_notebook import NotebookSource, environment, read_own_notebook
from tlkit.grading.student.own_notebook import history as session_history
from tlkit.grading.student.report import QuestionResult, Report, render
from tlkit.grading.student.report_html import render_html


def _parts(src: str) -> list:
    """The test's parts (partial credit), or none; a malformed split is graded whole."""
    from tlkit.grading.parts import PartsError, split_parts

    try:
        return split_parts(src)
    except PartsError:
        return []


def visible_results(namespace: dict, tests: list, recorded: dict,
                    rerun: set[str] = frozenset()) -> list[QuestionResult]:
    """Each visible test's verdict: as last run in place (``selfcheck.RESULTS``), else, or
    when its cell was edited or deleted (ids in ``rerun``), by running the original now."""
    results = []
    for cell, question, points, src in tests:
        parts = _parts(src)
        for part in parts:  # partial credit: one line per part, as the grader scores it
            if part.name in recorded and cell not in rerun:
                (status, detail), now = recorded[part.name], False
            else:
                (status, detail), now = run_test(namespace, part.name, part.source), True
            results.append(QuestionResult(f"{question} · {part.name}",
                                          part.points if status == "passed" else 0.0,
                                          part.points, status, detail, now))
        if parts:
            continue
        if question in recorded and cell not in rerun:
            status, detail = recorded[question]
            now = False
        else:
            status, detail = run_test(namespace, question, src)
            now = True
        got = float(points) if status == "passed" else 0.0
        results.append(QuestionResult(question, got, float(points), status, detail, now))
    return results


def run_test(namespace: dict, question: str, src: str) -> tuple[str, str]:
    """Run one test's original source in ``namespace``, strict, output captured."""
    from tlkit.grading.selfcheck import RESULTS, verdict

    previous = os.environ.get("TLKIT_CHECK_STRICT")
    record = RESULTS.get(question)
    os.environ["TLKIT_CHECK_STRICT"] = "1"
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(src, f"<prueba {question}>", "exec"), namespace)  # noqa: S102
    except Exception as exc:  # noqa: BLE001 - any error is the student's to see
        return verdict(exc)
    finally:
        if previous is None:
            os.environ.pop("TLKIT_CHECK_STRICT", None)
        else:
            os.environ["TLKIT_CHECK_STRICT"] = previous
        if record is None:  # the in-place record is the cell's, not this run's
            RESULTS.pop(question, None)
        else:
            RESULTS[question] = record
    return "passed", ""


def _labels(cells: list) -> dict[str, str]:
    return {cid: f"«{label}»" for cid, _role, _sum, label in cells}


def check_integrity(notebook: dict, assignment: str, cells: list,
                    tests: list) -> tuple[list, list, list, set]:
    """Problems, warnings, notes, and the locked cells edited or deleted, for a notebook
    judged by the grader's own reading and matching."""
    from tlkit.grading.intake.solutions import Assignment, SolutionCell
    from tlkit.grading.intake.submission import read_submission
    from tlkit.grading.plan.matching import build_plan

    with tempfile.TemporaryDirectory(prefix="tlkit-entrega-") as folder:
        path = Path(folder) / f"{assignment}.ipynb"
        path.write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
        read = read_submission(path)
    if read.problem:
        return [FINAL_CHECK["refused"].format(problem=read.problem)], [], [], set()
    questions = {cell: (question, points) for cell, question, points, _src in tests}
    solution_cells = [SolutionCell(id=cid, kind=role, source="", checksum=digest,
                                   question=questions.get(cid, (None, 0))[0],
                                   points=float(questions.get(cid, (None, 0))[1]))
                      for cid, role, digest, _label in cells]
    plan = build_plan(Assignment(assignment, path, solution_cells), read.cells)
    names = _labels(cells)
    found = {"problem": [], "warning": [], "info": []}
    for level, text in plan_sentences(plan.facts(), "before", lambda cid: names.get(cid, cid)):
        found[level].append(text)
    problems, warnings, infos = found["problem"], found["warning"], found["info"]
    meta = (read.metadata or {}).get("tlkit") or {}
    if meta.get("assignment") != assignment:
        warnings.append(FINAL_CHECK["metadata_lost"].format(assignment=assignment))
    return problems, warnings, infos, set(plan.edited) | set(plan.deleted)


def check_history(history: list[str], cells: list) -> tuple[list[str], set[str]]:
    """Warnings from the session history, and the locked cells not run unchanged in it."""
    from tlkit.grading.cells import checksum

    ran = {checksum(src) for src in history if isinstance(src, str)}
    missing = [cid for cid, role, digest, _label in cells if digest and digest not in ran]
    if not missing:
        return [], set()
    names = _labels(cells)
    return ([FINAL_CHECK["history"].format(cells=", ".join(names[i] for i in missing))],
            set(missing))


def unanswered(notebook: dict | None, written: list) -> list[str]:
    """The written questions whose cell is missing or still holds the placeholder (empty when
    the notebook could not be read: nothing is claimed then)."""
    if notebook is None:
        return []
    texts = {}
    for cell in notebook.get("cells", []):
        meta = (cell.get("metadata") or {}).get("tlkit") or {}
        if meta.get("written") is True:
            src = cell.get("source", "")
            texts[meta.get("id")] = "".join(src) if isinstance(src, list) else str(src)
    return [qid for qid, _ in written
            if qid not in texts or MARKDOWN_PLACEHOLDER in texts[qid]]


def summarise(namespace: dict, assignment: str, *, hidden_points: float, cells: list,
              tests: list, source: NotebookSource | None = None,
              recorded: dict | None = None, written: list = ()) -> Report:
    """Check the notebook and collect the visible tests' verdicts; never raises.

    ``recorded`` defaults to what ``check`` recorded in this kernel (``selfcheck.RESULTS``).
    """
    from tlkit.grading.selfcheck import RESULTS

    report = Report(assignment, [], float(hidden_points), source or NotebookSource("unknown"),
                    written=[(str(q), float(p)) for q, p in written])
    untrusted: set[str] = set()
    if source is None:
        try:
            report.source = read_own_notebook(namespace, assignment)
        except Exception as exc:  # noqa: BLE001
            report.source = NotebookSource(environment(namespace), note=type(exc).__name__)
    try:
        if report.source.notebook is not None:
            report.problems, report.warnings, report.infos, untrusted = check_integrity(
                report.source.notebook, assignment, cells, tests)
        else:
            history = session_history(namespace)
            partial = FINAL_CHECK["partial"].format(why=report.source.note)
            if history is None:
                report.warnings.append(FINAL_CHECK["partial_blind"].format(partial=partial))
            else:
                report.warnings.append(FINAL_CHECK["partial_history"].format(partial=partial))
                more, untrusted = check_history(history, cells)
                report.warnings += more
    except Exception as exc:  # noqa: BLE001 - a check must never end in a traceback
        report.warnings.append(FINAL_CHECK["unchecked"].format(
            error=f"{type(exc).__name__}: {short(exc, 80)}"))
    report.tests = visible_results(namespace, tests, RESULTS if recorded is None else recorded,
                                   untrusted)
    report.unanswered = unanswered(report.source.notebook, report.written)
    return report


def show(text: str, html: str | None = None) -> None:
    """Show the report: in IPython (Colab, Jupyter, VS Code) one rich output holding the HTML
    table and the same text as ``text/plain`` (what nbval, logs and plain front ends read);
    elsewhere, or when displaying fails, the text printed."""
    ipython = sys.modules.get("IPython")  # not imported here: no IPython, nothing to display
    shell = ipython.get_ipython() if ipython is not None and html is not None else None
    if shell is not None:
        try:
            from IPython.display import display

            display({"text/plain": text, "text/html": html}, raw=True)
            return
        except Exception:  # noqa: BLE001 - the text still reaches the student
            pass
    print(text, flush=True)


def check_submission(namespace: dict, assignment: str, *, hidden_points: float = 0,
                     cells: list = (), tests: list = (), written: list = ()) -> None:
    """Show the student's summary before handing in (called by the exercise's last cell)."""
    try:
        report = summarise(namespace, assignment, hidden_points=hidden_points,
                           cells=list(cells), tests=list(tests), written=list(written))
        text = render(report)
    except Exception as exc:  # noqa: BLE001 - never a traceback in the student's last cell
        show(FINAL_CHECK["failed"].format(error=f"{type(exc).__name__}: {exc}",
                                          assignment=assignment))
        return
    try:
        html = render_html(report)
    except Exception:  # noqa: BLE001 - the text alone still says everything
        html = None
    show(text, html)
