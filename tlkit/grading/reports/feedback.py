"""Per-student feedback in Spanish: one page model, two renderers, one file pair per student.

HTML is what a student opens (Moodle serves a ``.md`` as raw text); the Markdown twin is for a
platform that wants text. The feedback folder and the LMS feedback zip hold these same files
(``lms fill --feedback-zip`` copies them), so the two never disagree and the zip keeps every
notice (which file was graded, why a file could not be graded).

Per question: its title (the heading above the test in the solution) and whether the test is
visible or hidden, points, verdict, what went wrong, and the hint of every test that did not
pass (hidden ones included, never their code). The total is also shown on the platform's
scale (``GradeOptions.scale``). Wording comes from ``messages``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from tlkit.grading import messages
from tlkit.grading.reports.outputs import OutputFolder
from tlkit.grading.safe_text import file_stem, markdown_cell, one_line


NOT_GRADED = ("invalid", "wrong-assignment")  # the file itself could not be graded


@dataclass(frozen=True)
class QuestionLine:
    """One test of one submission, as the student reads it."""

    question: str
    title: str
    points: float
    max_points: float
    status: str
    reason: str
    hint: str = ""
    hidden: bool = False


@dataclass
class SubmissionPart:
    """One graded file: the questions, the notes, and which file was graded."""

    assignment: str
    filename: str
    questions: list[QuestionLine] = field(default_factory=list)
    problem: str = ""  # the submission could not be graded at all: why
    notes: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def max_points(self) -> float:
        return sum(q.max_points for q in self.questions)


@dataclass
class StudentPage:
    """Everything one student reads."""

    student: str
    student_id: str
    parts: list[SubmissionPart]
    scale: float | None = None

    @property
    def points(self) -> float:
        return sum(p.points for p in self.parts)

    @property
    def max_points(self) -> float:
        return sum(p.max_points for p in self.parts)

    def grade(self) -> float | None:
        if not self.scale:
            return None
        return round(self.points / self.max_points * self.scale, 2) if self.max_points else 0.0


def build_page(student: str, student_id: str, results: list, assignments: dict,
               scale: float | None = None) -> StudentPage:
    """The page of one student's results (``SubmissionResult`` s) against ``assignments``."""
    parts = []
    for result in results:
        assignment = assignments.get(result.assignment)
        tests = {t.question: t for t in assignment.tests} if assignment else {}
        part = SubmissionPart(result.assignment, result.submission.path.name,
                              notes=list(result.notes))
        not_graded = {r.reason for r in result.rows if r.status in NOT_GRADED}
        if len(not_graded) == 1 and all(r.status in NOT_GRADED for r in result.rows):
            part.problem = not_graded.pop()  # said once, above the table, not on every row
            part.notes = [n for n in part.notes if part.problem not in n]
        for row in result.rows:
            if row.question == "*":
                part.problem = row.reason
                continue
            test = tests.get(row.question)
            hidden = bool(test and test.hidden)
            # A row of no test (a written answer graded by hand, a late penalty) is its name.
            title = messages.FEEDBACK_QUESTION.format(
                title=test.title or row.question,
                kind=messages.FEEDBACK_HIDDEN if hidden else messages.FEEDBACK_VISIBLE) \
                if test else row.question
            if row.part:  # partial credit: each part its own line
                title += f" · {row.part}"
            hint = test.hint if test and row.status not in ("passed", *NOT_GRADED) else ""
            if hint and hint in row.reason:  # the verdict already gave it (a quiet failure)
                hint = ""
            reason = "" if part.problem and row.reason == part.problem else row.reason
            part.questions.append(QuestionLine(row.question, title, row.points, row.max_points,
                                               row.status, reason, hint, hidden))
        if not part.questions and not part.problem and result.rows:
            part.problem = result.rows[0].reason
        parts.append(part)
    return StudentPage(student, student_id, parts, scale)


def _n(value: float) -> str:
    """A number as Spanish writes it: ``7,5``, ``10``."""
    return f"{round(value, 2):g}".replace(".", ",")


def _grade_line(page: StudentPage) -> str:
    grade = page.grade()
    total = messages.FEEDBACK_TOTAL.format(got=_n(page.points), top=_n(page.max_points))
    if grade is None:
        return total
    return messages.FEEDBACK_GRADE.format(grade=_n(grade), scale=_n(page.scale)) + f" ({total})"


def to_markdown(page: StudentPage) -> str:
    """The Markdown twin."""
    lines = ["# " + messages.FEEDBACK_TITLE.format(student=markdown_cell(page.student)), "",
             f"**{_grade_line(page)}**", ""]
    for part in page.parts:
        lines += ["## " + messages.FEEDBACK_SECTION.format(
                      assignment=markdown_cell(part.assignment), got=_n(part.points),
                      top=_n(part.max_points)), "",
                  messages.FEEDBACK_FILE.format(name=markdown_cell(part.filename)), ""]
        if part.problem:
            lines += [f"> ⚠️ {markdown_cell(part.problem)}", ""]
        if part.questions:
            lines += [messages.FEEDBACK_HEADER, "| --- | --- | --- | --- |"]
            for q in part.questions:
                detail = markdown_cell(q.reason)
                if q.hint:
                    detail = (detail + "<br>" if detail else "") + \
                        f"{messages.FEEDBACK_HINT}: {markdown_cell(q.hint)}"
                lines.append(f"| {markdown_cell(q.title)} | {_n(q.points)} / {_n(q.max_points)} "
                             f"| {messages.LABELS.get(q.status, q.status)} | {detail} |")
        if part.notes:
            lines += ["", messages.FEEDBACK_NOTES, ""]
            lines += [f"- {markdown_cell(note)}" for note in part.notes]
        lines.append("")
    lines += [messages.FEEDBACK_FOOTER, ""]
    return "\n".join(lines)


STYLE = """body{font-family:system-ui,sans-serif;max-width:820px;margin:1.5em auto;color:#222;
padding:0 1em}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;
padding:.35em .5em;text-align:left;vertical-align:top}th{background:#f5f5f5}.n{white-space:nowrap}
.grade{font-size:1.3em}.problem{background:#fff4e5;border-left:4px solid #e65100;padding:.5em 1em}
.hint{color:#1a4d8f}.st-passed{color:#2e7d32}.st-failed,.st-crashed,.st-invalid,.st-error,
.st-wrong-assignment{color:#b00020}"""


def _e(text: str) -> str:
    return html.escape(one_line(text))


def to_html(page: StudentPage) -> str:
    """The HTML page (one file, no script, no external resource)."""
    title = messages.FEEDBACK_TITLE.format(student=page.student)
    out = [f"<!DOCTYPE html><html lang='es'><head><meta charset='utf-8'>"
           f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
           f"<h1>{_e(title)}</h1>", f"<p class='grade'><b>{_e(_grade_line(page))}</b></p>"]
    for part in page.parts:
        out.append("<h2>" + _e(messages.FEEDBACK_SECTION.format(
            assignment=part.assignment, got=_n(part.points), top=_n(part.max_points))) + "</h2>")
        out.append("<p>" + _e(messages.FEEDBACK_FILE.format(name=part.filename)).replace(
            "`", "") + "</p>")
        if part.problem:
            out.append(f"<p class='problem'>⚠️ {_e(part.problem)}</p>")
        if part.questions:
            head = [h.strip() for h in messages.FEEDBACK_HEADER.strip("|").split("|")]
            out.append("<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>")
            for q in part.questions:
                detail = _e(q.reason)
                if q.hint:
                    detail += (("<br>" if detail else "") +
                               f"<span class='hint'>💡 {_e(messages.FEEDBACK_HINT)}: "
                               f"{_e(q.hint)}</span>")
                out.append(f"<tr><td>{_e(q.title)}</td><td class='n'>{_n(q.points)} / "
                           f"{_n(q.max_points)}</td><td class='st-{_e(q.status)}'>"
                           f"{_e(messages.LABELS.get(q.status, q.status))}</td>"
                           f"<td>{detail}</td></tr>")
            out.append("</table>")
        if part.notes:
            out.append(f"<h3>{_e(messages.FEEDBACK_NOTES.strip('*'))}</h3><ul>" +
                       "".join(f"<li>{_e(n)}</li>" for n in part.notes) + "</ul>")
    out.append(f"<p><small>{_e(messages.FEEDBACK_FOOTER)}</small></p></body></html>\n")
    return "\n".join(out)


def feedback_stem(student: str, student_id: str = "") -> str:
    """The file name (without extension) of a student's feedback: keyed by the platform's id
    when there is one, so two students with one name get two files; safe on any filesystem."""
    return file_stem(f"{student}_{student_id}" if student_id else student)


def write_feedback(results: list, folder: OutputFolder, assignments: dict | None = None,
                   scale: float | None = None) -> tuple[dict, list[str]]:
    """One HTML file and its Markdown twin per student in ``folder``.

    Returns ``{student key: HTML file name}`` and the failures; a student whose files cannot
    be written is reported, and the others are still written.
    """
    by_student: dict[tuple[str, str], list] = {}
    for result in results:
        by_student.setdefault(result.submission.key, []).append(result)
    written, failed = {}, []
    for key, items in sorted(by_student.items()):
        sub = items[0].submission
        page = build_page(sub.student, sub.student_id, items, assignments or {}, scale)
        stem = feedback_stem(sub.student, sub.student_id)
        try:
            folder.write(f"{stem}.md", to_markdown(page))
            folder.write(f"{stem}.html", to_html(page))
            written[key] = f"{stem}.html"
        except OSError as exc:
            failed.append(f"{sub.who!r}: {exc}")
    return written, failed
