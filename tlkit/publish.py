"""``tlkit publish`` and ``tlkit sync-setup-cells``: give a course its address, everywhere.

``publish --repo OWNER/NAME --ref REF`` writes the address into ``tlkit/course.py`` (the one
place it lives), then regenerates from it everything that repeats it: the README's lessons table
and badges, any Colab/GitHub link to the course in the README, docs and markdown cells, the setup
cell of every lesson and solution, and the exercises (``tlkit assign``). ``sync-setup-cells``
does the last two steps with the address already in course.py (run it after adding a notebook).
Both work on a repository folder (``--root``, default: the current folder) and are idempotent.

``publish --out DIR`` then builds the public course tree in ``DIR`` (``tlkit.public_tree``):
the root is the instructor's private repository (it holds ``solutions/``), ``DIR`` a clone of
the public one that the address names. Without ``--out``, publishing a repository whose
``origin`` *is* the public address while it holds ``solutions/`` is refused.
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
    """Files (relative to the root) that were rewritten, the exercises ``assign`` wrote, and
    the top-level paths of the public tree written with ``--out``."""

    changed: list[str] = field(default_factory=list)
    exercises: list[str] = field(default_factory=list)
    public: list[str] = field(default_factory=list)


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


def _origin(root: Path) -> str:
    """The ``origin`` remote's URL of the git repository at ``root`` ("" when none)."""
    import subprocess

    try:
        done = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"],
                              capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def check_private(root: Path, repository: str) -> None:
    """Refuse when ``root`` holds solutions/ and its origin is the public ``repository``."""
    origin = _origin(root)
    if (Path(root) / "solutions").is_dir() and re.search(
            rf"github\.com[:/]{re.escape(repository)}(\.git)?/?$", origin, re.I):
        raise PublishError(
            f"{root} holds solutions/ (reference answers and hidden tests) and its origin is "
            f"the public course {repository}: students would read them. Keep this repository "
            "private (another name) and build the public tree with --out (docs/guia-profesor.md)")


def publish(root: Path, repository: str, ref: str, out: Path | None = None,
            hand_in: str | None = None) -> PublishReport:
    """Give the course at ``root`` the address ``repository`` @ ``ref`` everywhere it appears;
    with ``out``, build the public tree there (nothing from solutions/); ``hand_in`` names where
    students hand exercises in (``course.HAND_IN``, read by every exercise's final check)."""
    root = Path(root)
    check_address(repository, ref)
    if out is None:
        check_private(root, repository)
    else:
        from tlkit.public_tree import LeakError, check_folders

        try:
            check_folders(root, Path(out))
        except LeakError as exc:
            raise PublishError(str(exc)) from exc
    old = read_address(root)
    report = PublishReport()
    path = _course_file(root)
    text = path.read_text(encoding="utf-8")
    values = [("REPOSITORY", repository), ("REF", ref)]
    if hand_in is not None:
        if not hand_in.strip() or any(c in hand_in for c in '"\\\n'):
            raise PublishError(f"--hand-in {hand_in!r}: one line of text, without quotes or backslashes")
        values.append(("HAND_IN", hand_in.strip()))
    for name, value in values:
        text = re.sub(_ASSIGNMENT.format(name=name), lambda _m: f'{name} = "{value}"', text, flags=re.M)
    _write_if_changed(path, text, root, report)
    texts = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    for path in (p for p in texts if p.is_file()):
        text = _relink(path.read_text(encoding="utf-8"), old, (repository, ref))
        if path.name == "README.md":
            text = TABLE.sub(lambda m: m.group(1) + course.readme_table(repository, ref) + m.group(3),
                             text)
        _write_if_changed(path, text, root, report)
    report = sync_setup_cells(root, old=old, report=report)
    if out is not None:
        from tlkit.public_tree import LeakError, build

        try:
            report.public = build(root, Path(out), repository=repository, ref=ref).written
        except LeakError as exc:
            raise PublishError(str(exc)) from exc
    return report


def _print_report(report: PublishReport, command: str) -> None:
    for name in report.changed:
        print(f"  rewrote {name}")
    for name in report.exercises:
        print(f"  regenerated exercises/{name}")
    if not report.changed and not report.exercises:
        print(f"tlkit {command}: everything already up to date")


def run_publish(args) -> int:
    try:
        report = publish(args.root, args.repo, args.ref, args.out, args.hand_in)
    except PublishError as exc:
        print(f"tlkit publish: {exc}", file=sys.stderr)
        return 2
    _print_report(report, "publish")
    if args.out is None:
        print(f"\nThe course now installs and opens {args.repo} at {args.ref}. This folder holds "
              "solutions/: keep it private and build what students see with --out "
              "(a clone of the public repository). Commit here, then:\n"
              f"  tlkit publish --repo {args.repo} --ref {args.ref} --out ../PUBLIC_CLONE")
        return 0
    print(f"  public tree: {', '.join(report.public)} -> {args.out} (no solutions/, no hidden "
          "test, no solution text: checked)")
    print(f"\nThe course now installs and opens {args.repo} at {args.ref}. Next, in {args.out}:\n"
          f"  git add -A && git commit -m 'Publish the course at {args.ref}'\n"
          f"  git tag {args.ref}   # skip if {args.ref} is a branch\n"
          f"  git push origin HEAD {args.ref}\n"
          f"{args.repo} must be public for Colab to open and install it; commit the private "
          "repository too (its course.py and exercises changed).")
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
                    "table and badges, course links, setup cells and exercises from it; with "
                    "--out, build the public course tree (lessons, exercises, the library, "
                    "docs; never solutions/ or hidden tests) in a clone of the public repository.")
    p.add_argument("--repo", required=True,
                   help="the course's public GitHub repository, OWNER/NAME")
    p.add_argument("--ref", required=True, help="tag (recommended: one per term), branch or commit")
    p.add_argument("--root", type=Path, default=Path("."),
                   help="the private course repository (default: .)")
    p.add_argument("--out", type=Path, default=None,
                   help="folder of the public tree (empty, or a clone of --repo); refused if it "
                        "would reveal a solution or a hidden test")
    p.add_argument("--hand-in", default=None, metavar="TEXT",
                   help="where students hand exercises in, as their final check says it (Spanish), "
                        "e.g. 'en Canvas: «Entregar la tarea»' (default: keep tlkit/course.py's, "
                        "Moodle's «Agregar entrega»)")
    p.set_defaults(func=run_publish)
    s = subparsers.add_parser(
        "sync-setup-cells", help="regenerate every notebook's setup cell from tlkit/course.py",
        description="Rewrite (or add) the setup cell of notebooks/ and solutions/, then "
                    "regenerate exercises/ with tlkit assign.")
    s.add_argument("--root", type=Path, default=Path("."), help="repository folder (default: .)")
    s.set_defaults(func=run_sync)
