"""A class graded across machines: shards by student, a manifest per run, and the merge.

``--shard I/N`` keeps a student's submissions together (students, keyed by ``Submission.who``:
the platform's id when there is one, sorted, every N-th from the I-th). Each run writes
``<gradebook>.manifest.json`` beside its gradebook: the whole class it
saw, its shard, its students, its feedback folder. ``tlkit merge-grades`` checks the manifests
cover the class exactly once and writes one gradebook and one feedback folder.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

from tlkit.grading.intake.submission import Submission
from tlkit.grading.messages import MANUAL_SECTION, MANUAL_TOTAL
from tlkit.grading.reports.feedback import feedback_stem
from tlkit.grading.reports.gradebook import COLUMNS, number
from tlkit.grading.reports.manual_grades import with_manual
from tlkit.grading.reports.outputs import OutputFolder
from tlkit.grading.safe_text import markdown_cell


class MergeError(RuntimeError):
    """Shards that do not cover the class exactly once, or disagree."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` → ``(i, n)`` with 1 <= i <= n."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"--shard {text!r}: use I/N with 1 <= I <= N, e.g. 2/4")
    return int(match[1]), int(match[2])


def shard(submissions: list[Submission], index: int, count: int) -> list[Submission]:
    """Share ``index`` (1-based) of ``count``: every count-th student, all their notebooks."""
    students = sorted({s.who for s in submissions})
    mine = {who for k, who in enumerate(students) if k % count == index - 1}
    return sorted(s for s in submissions if s.who in mine)


def manifest_name(gradebook_name: str) -> str:
    """``gradebook.csv`` → ``gradebook.manifest.json``."""
    return f"{Path(gradebook_name).stem}.manifest.json"


def manifest_text(everyone: list[Submission], spec: tuple[int, int], gradebook: str,
                  feedback: str | None, isolation: str) -> str:
    """The JSON manifest of one run (shard ``spec`` of the class ``everyone``)."""
    mine = shard(everyone, *spec)
    return json.dumps({
        "shard": list(spec), "class": sorted({s.who for s in everyone}),
        "students": sorted({s.who for s in mine}), "gradebook": gradebook,
        "feedback": feedback, "isolation": isolation}, ensure_ascii=False, indent=1) + "\n"


def _read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows or rows[0] != COLUMNS:
        raise MergeError(f"{path}: not a tlkit gradebook (header {rows[:1]})")
    return rows[1:]


def _hand_graded(rows: list[dict]) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """What merging the manual CSV changed for one student: ``(question, points, comment)``
    of each hand-graded or late row, and ``(assignment, "got / top")`` totals."""
    graded = [(row["question"], f"{number(float(row['points']))} / "
               f"{number(float(row['max_points']))}", row["reason"])
              for row in rows if row["status"] in ("manual", "late")]
    by_assignment: dict[str, list[dict]] = {}
    for row in rows:
        by_assignment.setdefault(row["assignment"], []).append(row)
    totals = [(name, f"{number(sum(float(r['points']) for r in items))} / "
               f"{number(sum(float(r['max_points']) for r in items))}")
              for name, items in by_assignment.items()]
    return graded, totals


def _hand_graded_section(rows: list[dict]) -> str:
    """The Markdown section appended to a student's feedback (``.md``)."""
    graded, totals = _hand_graded(rows)
    lines = ["", "## " + MANUAL_SECTION, "", "| Pregunta | Puntos | Comentario |",
             "| --- | --- | --- |"]
    lines += [f"| {markdown_cell(q)} | {p} | {markdown_cell(c)} |" for q, p, c in graded]
    for name, score in totals:
        got, top = score.split(" / ")
        lines += ["", MANUAL_TOTAL.format(assignment=markdown_cell(name), got=got, top=top)]
    return "\n".join(lines) + "\n"


def _hand_graded_html(rows: list[dict]) -> str:
    """The same section for the HTML page (inserted before its end)."""
    graded, totals = _hand_graded(rows)
    e = html.escape
    out = [f"<h2>{e(MANUAL_SECTION)}</h2><table><tr><th>Pregunta</th><th>Puntos</th>"
           "<th>Comentario</th></tr>"]
    out += [f"<tr><td>{e(q)}</td><td class='n'>{e(p)}</td><td>{e(c)}</td></tr>"
            for q, p, c in graded]
    out.append("</table>")
    for name, score in totals:
        got, top = score.split(" / ")
        out.append("<p>" + e(MANUAL_TOTAL.format(assignment=name, got=got, top=top)
                             .replace("**", "")) + "</p>")
    return "\n".join(out) + "\n"


def merge(gradebooks: list[Path], out: Path, feedback_dir: Path | None = None,
          manual: Path | None = None) -> dict:
    """Merge shard gradebooks (and their feedback) into ``out``; check coverage first.

    With ``manual`` (the written answers' CSV), its grades are merged into the rows and the
    feedback of each student it changed gets a section with them and the new total.
    """
    manifests = []
    for path in map(Path, gradebooks):
        meta = path.with_name(manifest_name(path.name))
        if not meta.is_file():
            raise MergeError(f"{path}: no manifest {meta.name} beside it (was it written by "
                             "tlkit grade?)")
        manifests.append((path, json.loads(meta.read_text(encoding="utf-8"))))
    counts = {m["shard"][1] for _, m in manifests}
    classes = {tuple(m["class"]) for _, m in manifests}
    if len(counts) != 1 or len(classes) != 1:
        raise MergeError("the shards disagree on the number of shards or on the class: "
                         "were they run on the same submissions?")
    count = counts.pop()
    indexes = sorted(m["shard"][0] for _, m in manifests)
    if indexes != list(range(1, count + 1)):
        raise MergeError(f"shards given: {indexes}; expected each of 1..{count} exactly once")
    seen: dict[str, int] = {}
    for _, m in manifests:
        for student in m["students"]:
            if student in seen:
                raise MergeError(f"student {student!r} is in shards {seen[student]} and "
                                 f"{m['shard'][0]}")
            seen[student] = m["shard"][0]
    everyone = list(classes.pop())
    missing = sorted(set(everyone) - set(seen))
    if missing:
        raise MergeError(f"students in no shard: {missing[:10]}")
    rows = [row for path, _ in manifests for row in _read_rows(path)]
    rows.sort(key=lambda r: r[0])  # stable: a student's rows keep their order
    changed: dict[str, list[dict]] = {}
    if manual is not None:
        before = [dict(zip(COLUMNS, r)) for r in rows]
        after = with_manual(before, manual)
        for old, new in zip(before, after):
            if (old["points"], old["status"], old["reason"]) != \
                    (number(float(new["points"])), new["status"], new["reason"]):
                changed.setdefault(feedback_stem(new["student"], new.get("student_id", "")),
                                   [])
        for new in after:
            stem = feedback_stem(new["student"], new.get("student_id", ""))
            if stem in changed:
                changed[stem].append(new)
        rows = [[number(float(d[c])) if c in ("points", "max_points") else d[c]
                 for c in COLUMNS] for d in after]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    folder = OutputFolder(Path(out).parent)
    folder.write(Path(out).name, buffer.getvalue())
    copied = 0
    if feedback_dir is not None:
        target = OutputFolder(feedback_dir)
        names: set[str] = set()
        for path, m in manifests:
            if not m.get("feedback"):
                continue
            folder_of = path.parent / m["feedback"]
            for file in sorted([*folder_of.glob("*.html"), *folder_of.glob("*.md")]):
                if file.name in names:
                    raise MergeError(f"feedback file {file.name} comes from two shards")
                names.add(file.name)
                data = file.read_bytes()
                if file.stem in changed and file.suffix == ".md":
                    data += _hand_graded_section(changed[file.stem]).encode("utf-8")
                elif file.stem in changed:  # the HTML page: the section before its end
                    page = data.decode("utf-8")
                    cut = page.rfind("<p><small>")
                    cut = cut if cut >= 0 else page.rfind("</body>")
                    data = (page[:cut] + _hand_graded_html(changed[file.stem])
                            + page[cut:]).encode("utf-8")
                target.write(file.name, data)
                copied += 1
    isolation = sorted({m["isolation"] for _, m in manifests})
    folder.write(manifest_name(Path(out).name), json.dumps({
        "shard": [1, 1], "class": everyone, "students": sorted(seen), "gradebook": Path(out).name,
        "feedback": None, "isolation": "; ".join(isolation), "merged_from": count},
        ensure_ascii=False, indent=1) + "\n")
    return {"shards": count, "students": len(seen), "rows": len(rows), "feedback": copied,
            "isolation": isolation}
