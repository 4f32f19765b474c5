"""A class graded across machines: shards by student, a manifest per run, and the merge.

``--shard I/N`` keeps a student's submissions together (students, keyed by ``Submission.who``:
the platform's id when there is one, sorted, every N-th from the I-th). Each run writes
``<gradebook>.manifest.json`` beside its gradebook: the whole class it saw, its shard, its
students, its feedback folder, its run id, each assignment's version (a digest of the solution)
and the gradebook's own digest. ``tlkit merge-grades`` checks the manifests cover the class
exactly once, come from one run and one version of each assignment, and that every row and
feedback file belongs to its shard, then writes one gradebook and one feedback folder.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
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
                  feedback: str | None, isolation: str, *, run_id: str = "",
                  versions: dict[str, str] | None = None, gradebook_text: str | None = None
                  ) -> str:
    """The JSON manifest of one run (shard ``spec`` of the class ``everyone``).

    ``versions``: assignment name -> digest of its solution; ``gradebook_text``: the gradebook
    as written (its sha256 lets the merge refuse an edited or swapped gradebook).
    """
    mine = shard(everyone, *spec)
    data = {
        "shard": list(spec), "class": sorted({s.who for s in everyone}),
        "students": sorted({s.who for s in mine}), "gradebook": gradebook,
        "feedback": feedback, "isolation": isolation, "run_id": run_id,
        "assignments": dict(sorted((versions or {}).items()))}
    if gradebook_text is not None:
        data["gradebook_sha256"] = hashlib.sha256(gradebook_text.encode("utf-8")).hexdigest()
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


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


def _who(row: list[str]) -> str:
    """A gradebook row's student as ``Submission.who`` says it (the manifests' key)."""
    data = dict(zip(COLUMNS, row))
    return Submission(data["student"], Path(), data["student_id"], data["lms"]).who


def _read_manifest(path: Path) -> dict:
    meta = path.with_name(manifest_name(path.name))
    if not path.is_file():
        raise MergeError(f"{path}: no such gradebook" + (" (a folder: name the shard's CSV inside it)"
                                                       if path.is_dir() else ""))
    if not meta.is_file():
        raise MergeError(f"{path}: no manifest {meta.name} beside it (was it written by "
                         "tlkit grade?)")
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        index, count = (int(v) for v in data["shard"])
        if not (isinstance(data["class"], list) and isinstance(data["students"], list)):
            raise TypeError("class and students must be lists")
    except (ValueError, KeyError, TypeError) as exc:
        raise MergeError(f"{meta}: not a tlkit manifest ({exc})") from None
    return data


def _check_one_run(manifests: list[tuple[Path, dict]], run_id: str | None) -> None:
    """Every shard comes from the same run (``run_id``) and the same assignment versions."""
    ids = {m.get("run_id") or "" for _, m in manifests}
    if run_id is not None and ids != {run_id}:
        raise MergeError(f"run ids {sorted(ids)} in the shards' manifests, expected "
                         f"{run_id!r}: a shard from another run (or an older tlkit)")
    if len(ids) != 1:
        raise MergeError(f"the shards come from different runs (run ids {sorted(ids)}): pass "
                         "the same --run-id to every shard of one run")
    versions: dict[str, tuple[str, int]] = {}
    for _, m in manifests:
        for name, digest in (m.get("assignments") or {}).items():
            seen = versions.setdefault(name, (digest, m["shard"][0]))
            if seen[0] != digest:
                raise MergeError(f"assignment {name!r} differs between shards {seen[1]} and "
                                 f"{m['shard'][0]} (graded against different solutions)")


def _check_rows(path: Path, meta: dict, rows: list[list[str]], data: bytes) -> None:
    """The gradebook is the one its manifest describes, and every row is one of its students."""
    digest = meta.get("gradebook_sha256")
    if digest and hashlib.sha256(data).hexdigest() != digest:
        raise MergeError(f"{path}: changed since tlkit grade wrote it (its digest differs from "
                         "the manifest's)")
    students, assignments = set(meta["students"]), meta.get("assignments")
    for number, row in enumerate(rows, start=2):
        if len(row) != len(COLUMNS):
            raise MergeError(f"{path}, line {number}: {len(row)} fields, expected {len(COLUMNS)}")
        if _who(row) not in students:
            raise MergeError(f"{path}, line {number}: student {_who(row)!r} is not in shard "
                             f"{meta['shard'][0]}'s manifest")
        if assignments and row[1] not in assignments:
            raise MergeError(f"{path}, line {number}: assignment {row[1]!r} is not in the "
                             "shard's manifest")


def _feedback_files(path: Path, meta: dict) -> list[Path]:
    """The shard's feedback files, refusing a folder or a file outside the shard's folder."""
    if not meta.get("feedback"):
        return []
    shard_dir = os.path.realpath(path.parent)
    folder = os.path.realpath(path.parent / meta["feedback"])
    if os.path.isabs(meta["feedback"]) or os.path.commonpath([shard_dir, folder]) != shard_dir:
        raise MergeError(f"{path}: its manifest's feedback folder {meta['feedback']!r} is "
                         "outside the shard's folder")
    files = []
    for file in sorted([*Path(folder).glob("*.html"), *Path(folder).glob("*.md")]):
        if file.is_symlink() or not file.is_file():
            raise MergeError(f"{file}: a symlink or not a regular file; not merged")
        files.append(file)
    return files


def merge(gradebooks: list[Path], out: Path, feedback_dir: Path | None = None,
          manual: Path | None = None, run_id: str | None = None) -> dict:
    """Merge shard gradebooks (and their feedback) into ``out``; check coverage first.

    With ``manual`` (the written answers' CSV), its grades are merged into the rows and the
    feedback of each student it changed gets a section with them and the new total.
    ``run_id``: when given, every shard must carry it (the recipes pass their run's id).
    """
    manifests = [(path, _read_manifest(path)) for path in map(Path, gradebooks)]
    counts = {m["shard"][1] for _, m in manifests}
    classes = {tuple(m["class"]) for _, m in manifests}
    if len(counts) != 1 or len(classes) != 1:
        raise MergeError("the shards disagree on the number of shards or on the class: "
                         "were they run on the same submissions?")
    count = counts.pop()
    indexes = sorted(m["shard"][0] for _, m in manifests)
    if indexes != list(range(1, count + 1)):
        missing = sorted(set(range(1, count + 1)) - set(indexes))
        repeated = sorted({i for i in indexes if indexes.count(i) > 1})
        raise MergeError(f"shards given: {indexes}; expected each of 1..{count} exactly once"
                         + (f"; missing: shard(s) {', '.join(map(str, missing))} of {count} "
                            "(failed, killed, or not given)" if missing else "")
                         + (f"; repeated: {repeated}" if repeated else ""))
    _check_one_run(manifests, run_id)
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
    rows = []
    for path, meta in manifests:
        shard_rows = _read_rows(path)
        _check_rows(path, meta, shard_rows, path.read_bytes())
        rows += shard_rows
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
    feedback: dict[str, Path] = {}  # every check before the first write
    if feedback_dir is not None:
        for path, m in manifests:
            for file in _feedback_files(path, m):
                if file.name in feedback:
                    raise MergeError(f"feedback file {file.name} comes from two shards")
                feedback[file.name] = file
    folder = OutputFolder(Path(out).parent)
    folder.write(Path(out).name, buffer.getvalue())
    if feedback_dir is not None:
        target = OutputFolder(feedback_dir)
        for name, file in feedback.items():
            data = file.read_bytes()
            if file.stem in changed and file.suffix == ".md":
                data += _hand_graded_section(changed[file.stem]).encode("utf-8")
            elif file.stem in changed:  # the HTML page: the section before its end
                page = data.decode("utf-8")
                cut = page.rfind("<p><small>")
                cut = cut if cut >= 0 else page.rfind("</body>")
                data = (page[:cut] + _hand_graded_html(changed[file.stem])
                        + page[cut:]).encode("utf-8")
            target.write(name, data)
    copied = len(feedback)
    isolation = sorted({m["isolation"] for _, m in manifests})
    versions = {k: v for _, m in manifests for k, v in (m.get("assignments") or {}).items()}
    folder.write(manifest_name(Path(out).name), json.dumps({
        "shard": [1, 1], "class": everyone, "students": sorted(seen), "gradebook": Path(out).name,
        "feedback": None, "isolation": "; ".join(isolation), "merged_from": count,
        "run_id": manifests[0][1].get("run_id") or "", "assignments": dict(sorted(versions.items())),
        "gradebook_sha256": hashlib.sha256(buffer.getvalue().encode("utf-8")).hexdigest()},
        ensure_ascii=False, indent=1) + "\n")
    return {"shards": count, "students": len(seen), "rows": len(rows), "feedback": copied,
            "isolation": isolation}
