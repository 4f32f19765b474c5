"""What the last cell shows: the ``Report`` record, its content in order (``sections``), as text.

``sections`` decides what is said and in which order, once; the text (``render``, what graders,
logs, nbval and plain terminals read) and the HTML table (``report_html``, what Colab and
Jupyter show) only lay it out. Every sentence comes from ``messages.FINAL_CHECK``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from tlkit import course
from tlkit.grading.messages import FINAL_CHECK, LABELS, MARKS, agree
from tlkit.grading.student.own_notebook import NotebookSource


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
    """Everything the last cell shows."""

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


@dataclass(frozen=True)
class Row:
    """One line of the table: the question (``*`` when run now), points, state, detail."""

    question: str
    points: str
    state: str  # ``LABELS``' text, mark included
    detail: str
    status: str  # passed, failed, unsolved …: how the HTML tints the row


@dataclass(frozen=True)
class Sections:
    """The report's content in the order both renderings show it (plain strings, unescaped).

    ``review`` holds (level, text): a ``MARKS`` level (problem, warning, info), ``ok`` for the
    all-clear (its mark is in its text) or ``note`` for an unmarked remark."""

    title: str
    header: tuple[str, str, str, str]
    rows: list[Row]
    totals: list[str]  # visible points, hidden and written points, what is still missing
    how_results: str  # where each verdict comes from, and to run everything after a change
    review_title: str
    review: list[tuple[str, str]]
    hand_in: list[str]  # the first line is the heading ("📤 Qué entregar …")


def _number(value: float) -> str:
    return f"{value:g}"


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


def sections(report: Report) -> Sections:
    """What the last cell says, in order, for either rendering."""
    got, top = report.visible_points
    rows = [Row(t.question + ("*" if t.now else ""),
                f"{_number(t.points)} / {_number(t.max_points)}",
                LABELS.get(t.status, t.status), t.detail, t.status) for t in report.tests]
    totals = [FINAL_CHECK["visible"].format(got=_number(got), top=_number(top))]
    by_hand = sum(points for _, points in report.written)
    total = top + report.hidden_points + by_hand
    if report.hidden_points:
        totals.append(agree(FINAL_CHECK["hidden"].format(
            hidden=_number(report.hidden_points), total=_number(total)), report.hidden_points))
    if report.written:
        totals.append(agree(FINAL_CHECK["written"].format(
            points=_number(by_hand), total=_number(total),
            questions=", ".join(q for q, _ in report.written)), by_hand))
    if report.unanswered:
        totals.append(FINAL_CHECK["unanswered"].format(questions=", ".join(report.unanswered)))
    pending = [t.question for t in report.tests if t.status != "passed"]
    if pending:
        totals.append(FINAL_CHECK["pending"].format(questions=", ".join(pending)))
    read = report.source.notebook is not None
    review = [("note", FINAL_CHECK["save_again"])] if read and report.source.path else []
    for level, texts in (("problem", report.problems), ("warning", report.warnings),
                         ("info", report.infos)):
        review += [(level, text) for text in texts]
    if not (report.problems or report.warnings):
        review.append(("ok", FINAL_CHECK["intact"]))
    return Sections(
        title=FINAL_CHECK["title"].format(assignment=report.assignment),
        header=FINAL_CHECK["table"], rows=rows, totals=totals,
        how_results=FINAL_CHECK["where_results"],
        review_title=(FINAL_CHECK["review_of"].format(where=report.source.note) if read
                      else FINAL_CHECK["review"]),
        review=review, hand_in=hand_in_text(report))


def marked(level: str, text: str) -> str:
    """A review line as read: its level's mark, then the text (``ok`` and ``note`` carry none)."""
    return f"{MARKS[level]} {text}" if level in MARKS else text


def _table(header: tuple[str, ...], rows: list[Row]) -> list[str]:
    body = [(r.question, r.points, r.state, r.detail) for r in rows]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(3)]
    lines = []
    for row in [header, *body]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) +
                     "  " + row[3])
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 9)
    return [line.rstrip() for line in lines]


def render(report: Report) -> str:
    """The report as text: what a terminal prints and the plain half of the cell's output."""
    parts = sections(report)
    lines = [parts.title, ""] + _table(parts.header, parts.rows) + [""]
    lines += parts.totals + [parts.how_results, "", parts.review_title]
    lines += [f"  {marked(level, text)}" for level, text in parts.review]
    lines += [""] + parts.hand_in
    return "\n".join(lines)
