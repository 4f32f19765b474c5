"""The class report: one HTML page an instructor looks at after ``tlkit grade``.

Score distribution, pass rate per question (the questions that were too hard), the flagged
submissions with links to their feedback, and where the time went; plots drawn with
matplotlib and embedded as PNG (``data:`` URLs), so the page is one file that opens anywhere,
offline, with no script. Student text is escaped. Built from the wide gradebook's lines.
"""

from __future__ import annotations

import base64
import html
import io
import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from tlkit.files import atomic_write
from tlkit.grading.reports.wide import GRADED, StudentLine
from tlkit.grading.safe_text import one_line

PASS_FRACTION = 0.5  # a grade of half the scale or more counts as a pass
TOO_HARD = 0.5  # a question fewer than half the class got right is marked as too hard
STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{margin-bottom:.2em} .meta{color:#666;margin-top:0}
.cards{display:flex;gap:1em;flex-wrap:wrap;margin:1em 0}
.card{border:1px solid #ddd;border-radius:8px;padding:.6em 1em;min-width:8em}
.card b{display:block;font-size:1.6em}
table{border-collapse:collapse;margin:1em 0;width:100%}
th,td{border-bottom:1px solid #e4e4e4;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f6f6f6} td.n{text-align:right;font-variant-numeric:tabular-nums}
.hard{color:#b00020;font-weight:bold} .status-graded{color:#2e7d32}
.status-invalid,.status-error,.status-wrong-assignment,.status-timeout,
.status-crashed{color:#b00020} .status-pending,.status-late{color:#e65100}
figure{margin:1em 0} figure img{max-width:100%;border:1px solid #eee}
"""


@dataclass
class ReportInput:
    """What the report shows: the class's lines, the question columns and their maxima."""

    title: str
    columns: list[str]
    lines: list[StudentLine]
    scale: float
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)  # per student key
    isolation: str = ""
    gradebook: str = ""  # file names relative to the report, linked at the top
    wide: str = ""
    written: list[tuple[str, str]] = field(default_factory=list)  # (assignment, answers page)


def _figure(width: float = 7, height: float = 3.2):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _integer_counts(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _embed(fig, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>")


def grade_histogram(grades: list[float], scale: float) -> str:
    """An embedded histogram of the grades on the platform's scale, with the pass line."""
    fig = _figure()
    ax = fig.add_subplot()
    bins = [scale * i / 10 for i in range(11)]
    ax.hist(grades, bins=bins, color="#3f6fb5", edgecolor="white")
    ax.axvline(scale * PASS_FRACTION, color="#b00020", linestyle="--", label="pass")
    ax.set_xlabel(f"grade (0–{scale:g})")
    ax.set_ylabel("students")
    _integer_counts(ax)
    ax.set_xlim(0, scale)
    ax.legend()
    return _embed(fig, f"Grade distribution of {len(grades)} graded students")


def pass_rate_bars(rates: list[tuple[str, float]]) -> str:
    """Embedded horizontal bars: share of students with full marks, hardest question on top."""
    fig = _figure(height=max(2.0, 0.45 * len(rates) + 1))
    ax = fig.add_subplot()
    names = [name for name, _ in rates][::-1]
    values = [100 * rate for _, rate in rates][::-1]
    colors = ["#b00020" if v < 100 * TOO_HARD else "#3f6fb5" for v in values]
    bars = ax.barh(names, values, color=colors)
    ax.bar_label(bars, labels=[f"{v:.0f} %" for v in values], padding=3)
    ax.set_xlim(0, 110)
    ax.set_xlabel("students with full marks (%)")
    return _embed(fig, "Pass rate per question (red: fewer than half the class)")


def seconds_histogram(seconds: list[float]) -> str:
    """An embedded histogram of the time each submission took to grade."""
    fig = _figure(height=2.6)
    ax = fig.add_subplot()
    ax.hist(seconds, bins=min(20, max(5, len(seconds))), color="#6a8f3f", edgecolor="white")
    ax.set_xlabel("seconds per submission (worker time)")
    ax.set_ylabel("submissions")
    _integer_counts(ax)
    return _embed(fig, "Grading time per submission")


def pass_rates(columns: list[str], lines: list[StudentLine]) -> list[dict]:
    """Per question: students who answered it, how many got full marks, mean points. Written
    answers still to grade by hand (``pending``) count only once graded; a late penalty's
    column (``late``) is no question."""
    out = []
    for column in columns:
        asked = [l for l in lines if column in l.maxima]
        if asked and all(l.statuses.get(column) in ("pending", "late") for l in asked):
            continue
        took = [l for l in asked if l.status not in ("invalid", "wrong-assignment", "error")
                and l.statuses.get(column) not in ("pending", "late")]
        full = [l for l in took if l.maxima[column] and l.points[column] >= l.maxima[column]]
        top = max((l.maxima[column] for l in took), default=0.0)
        mean = statistics.fmean(l.points[column] for l in took) if took else 0.0
        out.append({"question": column, "students": len(took), "full": len(full),
                    "rate": len(full) / len(took) if took else 0.0, "max": top, "mean": mean})
    return sorted(out, key=lambda q: (q["rate"], q["question"]))


def _e(text) -> str:
    return html.escape(one_line(str(text)))


def _link(line: StudentLine) -> str:
    if not line.feedback:
        return "—"
    return f'<a href="{html.escape(line.feedback)}">feedback</a>'


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


def render(data: ReportInput) -> str:
    """The report's HTML."""
    lines, scale = data.lines, data.scale
    graded = [l for l in lines if l.status == GRADED]
    scored = [l for l in lines if l.status not in ("invalid", "wrong-assignment", "error")]
    grades = [l.grade(scale) for l in scored]
    passed = [g for g in grades if g >= scale * PASS_FRACTION]
    flagged = [l for l in lines if l.flagged]
    questions = pass_rates(data.columns, lines)
    cards = [("students", len(lines)), ("graded cleanly", len(graded)),
             ("flagged", len(flagged)),
             ("mean grade", f"{statistics.fmean(grades):.2f} / {scale:g}" if grades else "—"),
             ("median", f"{statistics.median(grades):.2f}" if grades else "—"),
             ("pass (≥ " + _num(scale * PASS_FRACTION) + ")",
              f"{len(passed)} / {len(grades)}" if grades else "—")]
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{_e(data.title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{_e(data.title)}</h1>"]
    links = [f'<a href="{html.escape(name)}">{html.escape(label)}</a>'
             for name, label in ((data.gradebook, "gradebook (long)"),
                                 (data.wide, "gradebook (one row per student)"),
                                 *((page, f"written answers of {assignment}")
                                   for assignment, page in data.written)) if name]
    meta = " · ".join(filter(None, [" · ".join(links), _e(data.isolation)]))
    parts.append(f"<p class='meta'>{meta}</p>")
    parts.append("<div class='cards'>" + "".join(
        f"<div class='card'><b>{html.escape(str(v))}</b>{html.escape(k)}</div>"
        for k, v in cards) + "</div>")

    parts.append("<h2 id='distribution'>Grade distribution</h2>")
    parts.append(grade_histogram(grades, scale) if grades else "<p>No graded submission.</p>")

    parts.append("<h2 id='questions'>Pass rate per question</h2>")
    if questions:
        parts.append(pass_rate_bars([(q["question"], q["rate"]) for q in questions]))
        parts.append("<table><tr><th>question</th><th>full marks</th><th>rate</th>"
                     "<th>mean points</th><th>max</th></tr>")
        for q in questions:
            hard = " class='hard'" if q["rate"] < TOO_HARD else ""
            parts.append(f"<tr><td{hard}>{_e(q['question'])}</td>"
                         f"<td class='n'>{q['full']} / {q['students']}</td>"
                         f"<td class='n'>{100 * q['rate']:.0f} %</td>"
                         f"<td class='n'>{_num(q['mean'])}</td>"
                         f"<td class='n'>{_num(q['max'])}</td></tr>")
        parts.append("</table>")

    parts.append(f"<h2 id='flagged'>Flagged submissions ({len(flagged)})</h2>")
    if flagged:
        parts.append("<table><tr><th>student</th><th>id</th><th>status</th><th>flags</th>"
                     "<th>why</th><th></th></tr>")
        for l in flagged:
            flags = " ".join(l.flags + (["late"] if l.late else []))
            parts.append(f"<tr><td>{_e(l.student)}</td><td>{_e(l.student_id)}</td>"
                         f"<td class='status-{_e(l.status)}'>{_e(l.status)}</td>"
                         f"<td>{_e(flags)}</td><td>{'<br>'.join(_e(r) for r in l.reasons[:3])}</td>"
                         f"<td>{_link(l)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>None: every submission was graded cleanly.</p>")

    parts.append("<h2 id='students'>Every student</h2><table><tr><th>student</th><th>id</th>"
                 "<th>status</th><th>points</th><th>grade</th><th></th></tr>")
    for l in lines:
        parts.append(f"<tr><td>{_e(l.student)}</td><td>{_e(l.student_id)}</td>"
                     f"<td class='status-{_e(l.status)}'>{_e(l.status)}</td>"
                     f"<td class='n'>{_num(l.total)} / {_num(l.max_total)}</td>"
                     f"<td class='n'>{_num(l.grade(scale))} / {scale:g}</td>"
                     f"<td>{_link(l)}</td></tr>")
    parts.append("</table>")

    seconds = [s for s in data.seconds.values() if s > 0]
    parts.append("<h2 id='timing'>Timing</h2>")
    if seconds:
        slow = sorted(((s, k) for k, s in data.seconds.items()), reverse=True)[:5]
        by_key = {l.key: l for l in lines}
        parts.append(f"<p>{len(seconds)} submissions, {sum(seconds):.0f} s of worker time; "
                     f"median {statistics.median(seconds):.1f} s, slowest "
                     + ", ".join(f"{_e(by_key[k].student if k in by_key else k[1])} "
                                 f"({s:.1f} s)" for s, k in slow) + ".</p>")
        parts.append(seconds_histogram(seconds))
    else:
        parts.append("<p>No timing recorded (a merged or re-read gradebook).</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def report_path(gradebook: Path) -> Path:
    """Where the report of ``gradebook.csv`` goes: ``gradebook.report.html``."""
    gradebook = Path(gradebook)
    return gradebook.with_name(f"{gradebook.stem}.report.html")


def relative_link(target: Path, report: Path) -> str:
    """``target`` as a link relative to the report's folder (forward slashes)."""
    return Path(os.path.relpath(Path(target).resolve(), Path(report).resolve().parent)).as_posix()


def write_report(data: ReportInput, path: Path) -> Path:
    """Write the report atomically; returns its path."""
    atomic_write(Path(path), render(data))
    return Path(path)
