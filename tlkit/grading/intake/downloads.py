"""Read a bulk download (zip or folder) into submissions, whichever platform produced it.

``read_layout`` recognises Moodle's "Download all submissions" (folders or prefixed files named
``<full name>_<participant id>_assignsubmission_file_``), Canvas's "Download Submissions"
(flat ``<name>[_late]_<user id>_<submission id>_<file>``) and anything else as a plain folder
(which ``discover`` names as before). Of several attempts of one student at one
file, the latest is graded and the others are listed as superseded, never dropped silently.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from tlkit.grading.intake.canvas import parse_file
from tlkit.grading.intake.moodle import FILE_PLUGIN, parse_entry
from tlkit.grading.intake.submission import Submission

_EXTRACTED: dict[tuple[str, int, int], Path] = {}


@dataclass
class Layout:
    """What a download holds: its platform, its notebooks as submissions, what was set aside."""

    kind: str  # moodle, canvas or folder
    root: Path
    submissions: list[Submission] = field(default_factory=list)
    superseded: list[tuple[Submission, Submission]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def fix_zip_name(name: str) -> str:
    """Undo cp437 decoding of a UTF-8 name (zips written without the UTF-8 flag)."""
    try:
        return name.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def extract_download(archive: Path) -> Path:
    """Extract a zip once per run into a temporary folder (removed at exit), safely."""
    from tlkit.data.archive import safe_extract

    stat = archive.stat()
    key = (str(archive.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _EXTRACTED:
        base = Path(tempfile.mkdtemp(prefix="tlkit-lms-"))
        atexit.register(shutil.rmtree, base, True)
        _EXTRACTED[key] = safe_extract(archive, base / "download")
    return _EXTRACTED[key]


def _unwrap(folder: Path) -> Path:
    """Descend through a lone wrapping folder (a zip extracted into a folder of its name)."""
    while True:
        children = [c for c in folder.iterdir() if not c.name.startswith((".", "__MACOSX"))]
        if len(children) == 1 and children[0].is_dir() and parse_entry(children[0].name) is None:
            folder = children[0]
        else:
            return folder


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb")
                  if p.is_file() and ".ipynb_checkpoints" not in p.relative_to(folder).parts
                  and not p.name.startswith("."))


def _moodle(root: Path, layout: Layout) -> None:
    for child in sorted(root.iterdir()):
        entry = parse_entry(fix_zip_name(child.name))
        if entry is None:
            if not child.name.startswith((".", "__MACOSX")):
                layout.ignored.append(f"{child.name}: not a Moodle submission name")
            continue
        if entry.plugin != FILE_PLUGIN:
            continue  # online text and other plugins hold no notebook
        files = _notebooks(child) if child.is_dir() else (
            [child] if entry.filename.endswith(".ipynb") else [])
        if not files and child.is_dir():
            layout.ignored.append(f"{child.name}: no .ipynb inside")
        for path in files:
            layout.submissions.append(Submission(entry.name, path, entry.participant, "moodle"))


def _canvas(root: Path, layout: Layout) -> None:
    for child in sorted(root.iterdir()):
        parsed = parse_file(fix_zip_name(child.name)) if child.is_file() else None
        if parsed is None or not parsed.original.endswith(".ipynb"):
            if not child.name.startswith((".", "__MACOSX")):
                layout.ignored.append(f"{child.name}: not a Canvas notebook submission")
            continue
        layout.submissions.append(Submission(parsed.name, child, parsed.user_id, "canvas",
                                             parsed.attempt, parsed.late))


def _latest_attempts(layout: Layout) -> None:
    """Keep each student's latest attempt at each file; list the others as superseded."""

    def original(sub: Submission) -> str:
        parsed = parse_file(fix_zip_name(sub.path.name)) if sub.lms == "canvas" else None
        return parsed.original if parsed else sub.path.name

    best: dict[tuple[str, str], Submission] = {}
    for sub in layout.submissions:
        key = (sub.student_id, original(sub))
        kept = best.get(key)
        if kept is None or sub.attempt > kept.attempt:
            if kept is not None:
                layout.superseded.append((kept, sub))
            best[key] = sub
        else:
            layout.superseded.append((sub, kept))
    layout.submissions = sorted(best.values())


def detect_kind(root: Path) -> str:
    """``moodle``, ``canvas`` or ``folder`` for the entries directly under ``root``."""
    names = [fix_zip_name(c.name) for c in root.iterdir() if not c.name.startswith(".")]
    if any(parse_entry(n) for n in names):
        return "moodle"
    notebooks = [n for n in names if n.endswith(".ipynb")]
    if notebooks and all(parse_file(n) for n in notebooks):
        return "canvas"
    return "folder"


def read_layout(path: Path) -> Layout:
    """The submissions of a bulk download: a Moodle or Canvas zip or folder, or a plain one."""
    path = Path(path)
    if path.is_symlink():
        return Layout("folder", path)  # never followed (``read_submission`` refuses links)
    if path.is_file() and path.suffix.lower() == ".zip":
        if not zipfile.is_zipfile(path):
            raise ValueError(f"{path}: not a readable zip file")
        given = extract_download(path)
    elif path.is_dir():
        given = path
    else:
        return Layout("folder", path)
    root = _unwrap(given)
    layout = Layout(detect_kind(root), root)
    if layout.kind == "folder":
        return Layout("folder", given)  # a plain folder keeps discover's naming from its top
    if layout.kind == "moodle":
        _moodle(root, layout)
    elif layout.kind == "canvas":
        _canvas(root, layout)
    if layout.kind != "folder":
        _latest_attempts(layout)
    return layout


def describe(layout: Layout, given: Path) -> list[str]:
    """One line per fact the instructor should see about a download (English, for the CLI)."""
    if layout.kind == "folder":
        return []
    lines = [f"{given}: {layout.kind} download, {len(layout.submissions)} notebook(s) of "
             f"{len({s.student_id for s in layout.submissions})} student(s)"]
    late = [s for s in layout.submissions if s.late]
    if late:
        lines.append(f"  late (marked by {layout.kind}): " +
                     ", ".join(f"{s.student} ({s.student_id})" for s in late))
    for old, new in layout.superseded:
        lines.append(f"  not graded: {old.path.name} (attempt {old.attempt}) of {old.student} "
                     f"— superseded by {new.path.name} (attempt {new.attempt})")
    lines += [f"  ignored: {text}" for text in layout.ignored]
    return lines



def describe_paths(paths: list[Path]) -> list[str]:
    """``describe`` for each given path that is a platform's download (for ``tlkit grade``)."""
    lines: list[str] = []
    for path in map(Path, paths):
        try:
            lines += describe(read_layout(path), path)
        except (OSError, ValueError):
            continue  # discover reports unreadable paths itself
    return lines
