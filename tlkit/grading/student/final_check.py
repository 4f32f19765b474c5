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
Nothing here raises into the notebook: every failure becomes a sentence.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tlkit import course
from tlkit.grading.cells import MARKDOWN_PLACEHOLDER
from tlkit.grading.messages import FINAL_CHECK, LABELS, MARKS, agree, plan_sentences
from tlkit.grading.safe_text import short
from tlkit.grading.student.own_notebook import NotebookSource, environment, read_own_notebook
from tlkit.grading.student.own_notebook import history as session_history


@dataclass
class QuestionResult:
    """One visible test's verdict."""

    question: str
    points: float
    max_points: float
    status: str  # passed, failed or unsolved (``selfcheck.verdict``)
    detail: str = ""
    now: bool = False  # run by the last cell (not recorded where the test cell ran)


@dataclass
class Report:
    """Everything the last cell prints."""

    assignment: str
    tests: list[QuestionResult]
    hidden_points: float
    source: NotebookSource
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)
    written: list[tuple[str, float]] = field(default_factory=list)  # graded by hand
    unanswered: list[str] = field(default_factory=list)  # written questions still empty

    @property
    def visible_points(self) -> tuple[float, float]:
        return (sum(t.points for t in self.tests), sum(t.max_points for t in self.tests))


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


def _number(value: float) -> str:
    return f"{value:g}"


def _table(tests: list[QuestionResult]) -> list[str]:
    header = FINAL_CHECK["table"]
    body = [(t.question + ("*" if t.now else ""), f"{_number(t.points)} / {_number(t.max_points)}",
             LABELS.get(t.status, t.status), t.detail) for t in tests]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(3)]
    lines = []
    for row in [header, *body]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) +
                     "  " + row[3])
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 9)
    return [line.rstrip() for line in lines]


def hand_in_text(report: Report) -> list[str]:
    """Spanish instructions on what file to hand in and how, for the environment detected."""
    name = f"{report.assignment}.ipynb"
    colab = FINAL_CHECK["colab"].format(name=name)
    save_keys = "⌘S" if sys.platform == "darwin" else "Ctrl+S"  # the kernel's computer: Jupyter's
    jupyter = FINAL_CHECK["jupyter"].format(path=report.source.path or name, save_keys=save_keys)
    env = report.source.environment
    lines = [FINAL_CHECK["what"]]
    lines += [colab] if env == "colab" else [jupyter] if env in ("jupyter", "vscode") else [
        colab, jupyter]
    lines += [FINAL_CHECK["keep_name"].format(name=name, hand_in=course.HAND_IN)]
    return lines


def render(report: Report) -> str:
    """The text the last cell prints."""
    got, top = report.visible_points
    lines = [FINAL_CHECK["title"].format(assignment=report.assignment), ""]
    lines += _table(report.tests) + [""]
    lines.append(FINAL_CHECK["visible"].format(got=_number(got), top=_number(top)))
    by_hand = sum(points for _, points in report.written)
    total = top + report.hidden_points + by_hand
    if report.hidden_points:
        lines.append(agree(FINAL_CHECK["hidden"].format(
            hidden=_number(report.hidden_points), total=_number(total)), report.hidden_points))
    if report.written:
        lines.append(agree(FINAL_CHECK["written"].format(
            points=_number(by_hand), total=_number(total),
            questions=", ".join(q for q, _ in report.written)), by_hand))
    if report.unanswered:
        lines.append(FINAL_CHECK["unanswered"].format(questions=", ".join(report.unanswered)))
    pending = [t.question for t in report.tests if t.status != "passed"]
    if pending:
        lines.append(FINAL_CHECK["pending"].format(questions=", ".join(pending)))
    lines += [FINAL_CHECK["where_results"], ""]
    lines.append(FINAL_CHECK["review_of"].format(where=report.source.note)
                 if report.source.notebook is not None else FINAL_CHECK["review"])
    if report.source.notebook is not None and report.source.path:
        lines.append("  " + FINAL_CHECK["save_again"])
    for level, texts in (("problem", report.problems), ("warning", report.warnings),
                         ("info", report.infos)):
        lines += [f"  {MARKS[level]} {text}" for text in texts]
    if not (report.problems or report.warnings):
        lines.append("  " + FINAL_CHECK["intact"])
    lines += [""] + hand_in_text(report)
    return "\n".join(lines)


def check_submission(namespace: dict, assignment: str, *, hidden_points: float = 0,
                     cells: list = (), tests: list = (), written: list = ()) -> None:
    """Print the student's summary before handing in (called by the exercise's last cell)."""
    try:
        text = render(summarise(namespace, assignment, hidden_points=hidden_points,
                                cells=list(cells), tests=list(tests), written=list(written)))
    except Exception as exc:  # noqa: BLE001 - never a traceback in the student's last cell
        text = FINAL_CHECK["failed"].format(error=f"{type(exc).__name__}: {exc}",
                                            assignment=assignment)
    print(text, flush=True)
