"""The instructor's terminal summary of a grading run (student text cleaned of escapes)."""

from __future__ import annotations

import sys
from collections import Counter

from tlkit.grading.reports.gradebook import number
from tlkit.grading.safe_text import one_line
from tlkit.grading.scoring.row import Row


def summary_table(rows: list[Row]) -> str:
    """A plain-text table: one line per submission with points and status counts."""
    grouped: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        grouped.setdefault((row.student, row.assignment), []).append(row)
    header = ("student", "assignment", "points", "statuses", "flags")
    body = []
    for (student, assignment), items in grouped.items():
        counts = Counter(r.status for r in items)
        body.append((one_line(student)[:60], one_line(assignment)[:40],
                     f"{number(sum(r.points for r in items))}/"
                     f"{number(sum(r.max_points for r in items))}",
                     " ".join(f"{k}={counts[k]}" for k in sorted(counts)),
                     one_line(items[0].flags)))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in body]
    return "\n".join(line.rstrip() for line in out)


def print_summary(batch, *, stream=None) -> None:
    """Print the per-submission table, the isolation used, and where the outputs went."""
    stream = stream or sys.stdout
    rows = [row for r in batch.results for row in r.rows]
    if rows:
        print(summary_table(rows), file=stream)
    seconds = sum(r.seconds for r in batch.results)
    print(f"\n{len(batch.results)} submission(s) graded ({seconds:.1f} s of worker time)",
          file=stream)
    print(f"isolation: {batch.isolation}", file=stream)
    for line in batch.notes:
        print(f"note: {line}", file=stream)
    for line in batch.warnings:
        print(f"warning: {one_line(line)}", file=stream)
    if batch.out:
        print(f"gradebook: {batch.out}", file=stream)
    if batch.feedback_dir:
        print(f"feedback: {batch.feedback_dir}/", file=stream)
