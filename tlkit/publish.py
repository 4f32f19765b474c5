"""``tlkit publish`` and ``tlkit sync-setup-cells``: give a course its address, everywhere.

``publish --repo OWNER/NAME --ref REF`` writes the address into ``tlkit/course.py`` (the one
place it lives), then regenerates from it everything that repeats it: the README's lessons table
and badges, any Colab/GitHub link to the course in the README, docs and markdown cells, the setup
cell of every lesson and solution, and the exercises (``tlkit assign``). ``sync-setup-cells``
does the last two steps with the address already in course.py (run it after adding a notebook).
Both work on a repository folder (``--root``, default: the current folder) and are idempotent.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tlkit import course

REPO_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
REF_PATTERN = re.compile(r"^(?!-)(?!.*\.\.)[A-Za-z0-9._-]{1,100}(?<!\.)$")
NOTEBOOK_FOLDERS = ("notebooks", "solutions")
TEXT_FILES = ("README.md", "docs")
TABLE = re.compile(r"(<!-- lessons-table:.*?-->\n)(.*?)(\n<!-- /lessons-table -->)", re.S)
_ASSIGNMENT = r'^{name} = "([^"]*)"$'


class PublishError(ValueError):
    """The repository folder or the requested address cannot be used; the message says why."""


@dataclass
class PublishReport:
    """Files (relative to the root) that were rewritten, and the exercises ``assign`` wrote."""

    changed: list[str] = field(default_factory=list)
    exercises: list[str] = field(default_factory=list)


def _course_file(root: Path) -> Path:
    path = Path(root) / "tlkit" / "course.py"
    if not path.is_file():
        raise PublishError(f"{path} not found: run from (or pass --root) a tlkit course repository")
    return path


def read_address(root: Path) -> tuple[str, str]:
    """``(repository, ref)`` as written in ``root``'s tlkit/course.py (not the imported one)."""
    text = _course_file(root).read_text(encoding="utf-8")
    found = []
    for name in ("REPOSITORY", "REF"):
        matches = re.findall(_ASSIGNMENT.format(name=name), text, re.M)
        if len(matches) != 1:
            raise PublishError(f"{_course_file(root)}: expected one line `{name} = \"...\"`, "
                               f"found {len(matches)}")
        found.append(matches[0])
    return found[0], found[1]


def check_address(repository: str, ref: str) -> None:
    """Raise :class:`PublishError` unless ``repository`` is OWNER/NAME and ``ref`` a git ref."""
    if not REPO_PATTERN.match(repository):
        raise PublishError(f"--repo {repository!r}: use OWNER/NAME as on GitHub, e.g. ana/tlkit")
    if not REF_PATTERN.match(ref) or ref.endswith(".lock"):
        raise PublishError(f"--ref {ref!r}: use a tag, branch or commit name without '/', "
                           "e.g. curso-2026-1")
    if repository == course.PLACEHOLDER_REPOSITORY:
        raise PublishError(f"--repo {repository}: that is the placeholder; name your fork")


def _write_if_changed(path: Path, text: str, root: Path, report: PublishReport) -> None:
    from tlkit.files import atomic_write

    if path.read_text(encoding="utf-8") != text:
        atomic_write(path, text.encode("utf-8"))
        report.changed.append(str(path.relative_to(root)))


def _relink(text: str, old: tuple[str, str], new: tuple[str, str]) -> str:
    """``text`` with Colab and GitHub links to the course at ``old`` pointing to ``new``."""
    (old_repo, old_ref), (new_repo, new_ref) = old, new
    for prefix in ("https://colab.research.google.com/github/", "https://github.com/"):
        text = text.replace(f"{prefix}{old_repo}/blob/{old_ref}/", f"{prefix}{new_repo}/blob/{new_ref}/")
    return re.sub(rf"https://github\.com/{re.escape(old_repo)}(?=[/)\s\"'.,]|$)",
                  f"https://github.com/{new_repo}", text)


def _notebooks(root: Path) -> list[Path]:
    return sorted(p for folder in NOTEBOOK_FOLDERS for p in (root / folder).glob("*.ipynb"))


def sync_setup_cells(root: Path = Path("."), *, old: tuple[str, str] | None = None,
                     report: PublishReport | None = None) -> PublishReport:
    """Regenerate the setup cell (and course links, from ``old``) of every lesson and solution,
    then the exercises, from the address in ``root``'s tlkit/course.py."""
    from tlkit.grading.authoring.assign import assign
    from tlkit.files import atomic_write
    from tlkit.grading.notebook_io import notebook_bytes, read_notebook
    from tlkit.setup_cell import sync_setup_cell

    root = Path(root)
    report = report or PublishReport()
    address = read_address(root)
    for path in _notebooks(root):
        nb = sync_setup_cell(read_notebook(path), *address)
        if old is not None and old != address:
            for cell in nb.cells:
                if cell.cell_type == "markdown":
                    text = "".join(cell.source) if isinstance(cell.source, list) else cell.source
                    if _relink(text, old, address) != text:
                        cell.source = _relink(text, old, address)
        data = notebook_bytes(nb)
        if path.read_bytes() != data:
            atomic_write(path, data)
            report.changed.append(str(path.relative_to(root)))
    if (root / "solutions").is_dir():
        report.exercises = assign(root / "solutions", root / "exercises").written
    return report


def publish(root: Path, repository: str, ref: str) -> PublishReport:
    """Give the course at ``root`` the address ``repository`` @ ``ref`` everywhere it appears."""
    root = Path(root)
    check_address(repository, ref)
    old = read_address(root)
    report = PublishReport()
    path = _course_file(root)
    text = path.read_text(encoding="utf-8")
    for name, value in (("REPOSITORY", repository), ("REF", ref)):
        text = re.sub(_ASSIGNMENT.format(name=name), f'{name} = "{value}"', text, flags=re.M)
    _write_if_changed(path, text, root, report)
    texts = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    for path in (p for p in texts if p.is_file()):
        text = _relink(path.read_text(encoding="utf-8"), old, (repository, ref))
        if path.name == "README.md":
            text = TABLE.sub(lambda m: m.group(1) + course.readme_table(repository, ref) + m.group(3),
                             text)
        _write_if_changed(path, text, root, report)
    return sync_setup_cells(root, old=old, report=report)


def _print_report(report: PublishReport, command: str) -> None:
    for name in report.changed:
        print(f"  rewrote {name}")
    for name in report.exercises:
        print(f"  regenerated exercises/{name}")
    if not report.changed and not report.exercises:
        print(f"tlkit {command}: everything already up to date")


def run_publish(args) -> int:
    try:
        report = publish(args.root, args.repo, args.ref)
    except PublishError as exc:
        print(f"tlkit publish: {exc}", file=sys.stderr)
        return 2
    _print_report(report, "publish")
    print(f"\nThe course now installs and opens {args.repo} at {args.ref}. Next:\n"
          f"  git commit -am 'Publish the course at {args.ref}'\n"
          f"  git tag {args.ref}   # skip if {args.ref} is a branch\n"
          f"  git push origin HEAD {args.ref}\n"
          f"The repository must be public for Colab to open and install it.")
    return 0


def run_sync(args) -> int:
    try:
        report = sync_setup_cells(args.root)
    except PublishError as exc:
        print(f"tlkit sync-setup-cells: {exc}", file=sys.stderr)
        return 2
    _print_report(report, "sync-setup-cells")
    return 0


def add_commands(subparsers) -> None:
    p = subparsers.add_parser(
        "publish", help="give the course its address (fork + tag) everywhere it appears",
        description="Write OWNER/NAME and REF into tlkit/course.py and regenerate the README "
                    "table and badges, course links, setup cells and exercises from it.")
    p.add_argument("--repo", required=True, help="the course's public GitHub repository, OWNER/NAME")
    p.add_argument("--ref", required=True, help="tag (recommended: one per term), branch or commit")
    p.add_argument("--root", type=Path, default=Path("."), help="repository folder (default: .)")
    p.set_defaults(func=run_publish)
    s = subparsers.add_parser(
        "sync-setup-cells", help="regenerate every notebook's setup cell from tlkit/course.py",
        description="Rewrite (or add) the setup cell of notebooks/ and solutions/, then "
                    "regenerate exercises/ with tlkit assign.")
    s.add_argument("--root", type=Path, default=Path("."), help="repository folder (default: .)")
    s.set_defaults(func=run_sync)
