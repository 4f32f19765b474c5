"""Per-student feedback in Spanish Markdown, and the instructor's terminal summary."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tlkit.grading.gradebook import Row, number
from tlkit.grading.notebook_io import write_atomic

LABELS = {
    "passed": "✅ correcto",
    "failed": "❌ incorrecto",
    "unsolved": "⏳ sin resolver",
    "timeout": "⏱️ tiempo agotado",
    "crashed": "💥 el kernel se detuvo",
    "invalid": "⚠️ entrega no válida",
    "error": "⚠️ error del corrector",
}


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def render_feedback(student: str, results: list) -> str:
    """Markdown feedback for one student's graded submissions (``SubmissionResult`` list)."""
    lines = [f"# Corrección de {student}", ""]
    for result in results:
        got = sum(r.points for r in result.rows)
        top = sum(r.max_points for r in result.rows)
        lines += [f"## {result.assignment} — {number(got)} / {number(top)} puntos", "",
                  f"Entrega: `{result.submission.path.name}`", "",
                  "| Pregunta | Puntos | Resultado | Detalle |", "| --- | --- | --- | --- |"]
        for row in result.rows:
            lines.append(f"| {row.question} | {number(row.points)} / {number(row.max_points)} "
                         f"| {LABELS.get(row.status, row.status)} | {_cell(row.reason)} |")
        if result.notes:
            lines += ["", "**Avisos**", ""] + [f"- {note}" for note in result.notes]
        lines.append("")
    lines += ["Las pruebas ocultas se ejecutan solo al corregir; las visibles puedes "
              "comprobarlas tú en el notebook.", ""]
    return "\n".join(lines)


def write_feedback(results: list, folder: Path) -> list[Path]:
    """One ``<student>.md`` per student in ``folder``; returns the files written."""
    from tlkit.grading.submissions import safe_name

    by_student: dict[str, list] = {}
    for result in results:
        by_student.setdefault(result.submission.student, []).append(result)
    written = []
    for student, items in sorted(by_student.items()):
        path = Path(folder) / f"{safe_name(student)}.md"
        write_atomic(path, render_feedback(student, items).encode("utf-8"))
        written.append(path)
    return written


def summary_table(rows: list[Row]) -> str:
    """A plain-text table: one line per submission with points and status counts."""
    grouped: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        grouped.setdefault((row.student, row.assignment), []).append(row)
    header = ("student", "assignment", "points", "statuses", "flags")
    body = []
    for (student, assignment), items in grouped.items():
        counts = Counter(r.status for r in items)
        body.append((student, assignment,
                     f"{number(sum(r.points for r in items))}/"
                     f"{number(sum(r.max_points for r in items))}",
                     " ".join(f"{k}={counts[k]}" for k in sorted(counts)),
                     items[0].flags))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in body]
    return "\n".join(line.rstrip() for line in out)
