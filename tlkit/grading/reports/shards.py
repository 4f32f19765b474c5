"""A class graded across machines: shards by student, a manifest per run, and the merge.

``--shard I/N`` keeps a student's submissions together (students sorted, every N-th from the
I-th). Each run writes ``<gradebook>.manifest.json`` beside its gradebook: the whole class it
saw, its shard, its students, its feedback folder. ``tlkit merge-grades`` checks the manifests
cover the class exactly once and writes one gradebook and one feedback folder.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from tlkit.grading.intake.submission import Submission
from tlkit.grading.reports.gradebook import COLUMNS
from tlkit.grading.reports.outputs import OutputFolder


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
    students = sorted({s.student for s in submissions})
    mine = {name for k, name in enumerate(students) if k % count == index - 1}
    return sorted(s for s in submissions if s.student in mine)


def manifest_name(gradebook_name: str) -> str:
    """``gradebook.csv`` → ``gradebook.manifest.json``."""
    return f"{Path(gradebook_name).stem}.manifest.json"


def manifest_text(everyone: list[Submission], spec: tuple[int, int], gradebook: str,
                  feedback: str | None, isolation: str) -> str:
    """The JSON manifest of one run (shard ``spec`` of the class ``everyone``)."""
    mine = shard(everyone, *spec)
    return json.dumps({
        "shard": list(spec), "class": sorted({s.student for s in everyone}),
        "students": sorted({s.student for s in mine}), "gradebook": gradebook,
        "feedback": feedback, "isolation": isolation}, ensure_ascii=False, indent=1) + "\n"


def _read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows or rows[0] != COLUMNS:
        raise MergeError(f"{path}: not a tlkit gradebook (header {rows[:1]})")
    return rows[1:]


def merge(gradebooks: list[Path], out: Path, feedback_dir: Path | None = None) -> dict:
    """Merge shard gradebooks (and their feedback) into ``out``; check coverage first."""
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
            for file in sorted((path.parent / m["feedback"]).glob("*.md")):
                if file.name in names:
                    raise MergeError(f"feedback file {file.name} comes from two shards")
                names.add(file.name)
                target.write(file.name, file.read_bytes())
                copied += 1
    isolation = sorted({m["isolation"] for _, m in manifests})
    folder.write(manifest_name(Path(out).name), json.dumps({
        "shard": [1, 1], "class": everyone, "students": sorted(seen), "gradebook": Path(out).name,
        "feedback": None, "isolation": "; ".join(isolation), "merged_from": count},
        ensure_ascii=False, indent=1) + "\n")
    return {"shards": count, "students": len(seen), "rows": len(rows), "feedback": copied,
            "isolation": isolation}
