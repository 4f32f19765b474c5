"""The public course tree: what students may read, built from the instructor's private source.

A course lives in two repositories (as nbgrader's ``source/`` vs ``release/``, or otter's
student notebooks vs its autograder zip): the instructor's **private** one holds
``solutions/`` (reference answers and hidden tests) and grades from it; the **public** one,
whose address the badges and setup cells carry, holds only :data:`PUBLIC_PATHS`. ``build``
copies those paths into a staging folder, refuses (naming the file and the solution it
reveals) when any of them holds solution text or a hidden test, and only then replaces them in
the public folder, leaving its ``.git`` and any file it does not manage alone.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# What students need: lessons, exercises, the library (the setup cell installs it from here),
# its docs and the files that build an environment on a laptop. Tests, benchmarks and CI stay
# private: they read solutions/.
PUBLIC_PATHS = ("README.md", "LICENSE", "pyproject.toml", "environment.yml", "requirements",
                "scripts", "Makefile", ".gitignore", "tlkit", "notebooks", "exercises", "docs")
PRIVATE_FOLDER = "solutions"
MARKER = ".tlkit-public.json"  # written into every public tree: what it was built from
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info",
                                 "modelos_*", "*.keras", "*.h5", "*.pt", "*.pth")
MIN_SECRET = 20  # shorter solution blocks (``x = 2``) could be ordinary lesson code
_SPACES = re.compile(r"\s+")


class LeakError(ValueError):
    """The public tree would let students read a solution or a hidden test; says where."""


@dataclass(frozen=True)
class Secret:
    """A text students must not read: a solution block or a hidden test cell."""

    what: str  # e.g. "solutions/01_x.ipynb: hidden test ej1_oculto"
    text: str  # whitespace-collapsed


@dataclass
class TreeReport:
    """Paths (relative to the public folder) written, and the secrets checked against."""

    written: list[str] = field(default_factory=list)
    secrets: int = 0


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def secrets(solutions: Path) -> list[Secret]:
    """Every solution block body and hidden test cell of the notebooks in ``solutions``."""
    from tlkit.grading.cells import BEGIN, END, is_hidden, source, tlkit_meta
    from tlkit.grading.notebook_io import read_notebook

    found = []
    for path in sorted(Path(solutions).glob("*.ipynb")):
        where = f"{PRIVATE_FOLDER}/{path.name}"
        for number, cell in enumerate(read_notebook(path).cells, start=1):
            src = source(cell)
            if is_hidden(cell):
                found.append(Secret(f"{where}: hidden test {tlkit_meta(cell).get('id')}",
                                    _flat(src)))
            body = re.findall(rf"^[ \t]*{re.escape(BEGIN)}[^\n]*\n(.*?)^[ \t]*{re.escape(END)}",
                              src, re.S | re.M)
            found += [Secret(f"{where}: solution in cell {number}", _flat(b)) for b in body
                      if len(_flat(b)) >= MIN_SECRET]
    return found


def _readable_text(path: Path) -> str | None:
    """What a student reads in ``path``: a notebook's cell sources, a text file, else None."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(text).get("cells", [])
        except (ValueError, AttributeError):
            return text
        return "\n".join("".join(c.get("source", "")) if isinstance(c.get("source"), list)
                         else str(c.get("source", "")) for c in cells if isinstance(c, dict))
    return text


def _notebook_problem(path: Path) -> str | None:
    """Why a published notebook reveals answers (markers, hidden tests), or None."""
    from tlkit.grading.cells import has_markers, is_hidden, tlkit_meta

    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return None
    for number, cell in enumerate(c for c in cells if isinstance(c, dict)):
        if is_hidden(cell):
            return f"cell {number + 1} is hidden test {tlkit_meta(cell).get('id')!r}"
        if cell.get("cell_type") == "code" and has_markers(cell):
            return f"cell {number + 1} holds a ### BEGIN SOLUTION block"
    return None


def find_leaks(tree: Path, known: list[Secret]) -> list[str]:
    """``"<file>: <why>"`` for each file of ``tree`` that reveals a solution or hidden test."""
    tree = Path(tree)
    leaks = []
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        parts = path.relative_to(tree).parts
        name = "/".join(parts)
        if ".git" in parts:
            continue
        if PRIVATE_FOLDER in parts:
            leaks.append(f"{name}: a {PRIVATE_FOLDER}/ folder is never public")
            continue
        if path.suffix == ".ipynb" and (problem := _notebook_problem(path)):
            leaks.append(f"{name}: {problem}")
            continue
        text = _readable_text(path)
        if text is None:
            continue
        flat = _flat(text)
        leaks += [f"{name}: contains {s.what}" for s in known if s.text in flat]
    return leaks


def check_folders(source: Path, out: Path) -> None:
    src, dst = source.resolve(), out.resolve()
    if src == dst or src in dst.parents or dst in src.parents:
        raise LeakError(f"--out {out}: the public tree must be a folder of its own (a clone of "
                        f"the public repository), not inside or around the private source {source}")
    if (dst / PRIVATE_FOLDER).exists():
        raise LeakError(f"--out {out}: it holds {PRIVATE_FOLDER}/, which students would read; "
                        f"remove it from the public repository (and its history) first")
    if dst.is_dir() and any(dst.iterdir()) and not (dst / MARKER).is_file():
        others = sorted(p.name for p in dst.iterdir() if p.name != ".git")
        if others:
            raise LeakError(f"--out {out}: not empty and not a tree `tlkit publish` built "
                            f"(no {MARKER}); give an empty folder or a fresh clone of the "
                            f"public repository (found: {', '.join(others[:5])})")


def build(source: Path, out: Path, *, repository: str, ref: str) -> TreeReport:
    """Write the public tree of the course at ``source`` into ``out``; see the module doc.

    Raises :class:`LeakError` (and leaves ``out`` untouched) when the tree would reveal a
    solution or a hidden test, or when ``out`` is not a folder it may write.
    """
    source, out = Path(source), Path(out)
    check_folders(source, out)
    known = secrets(source / PRIVATE_FOLDER)
    out.mkdir(parents=True, exist_ok=True)
    report = TreeReport(secrets=len(known))
    with tempfile.TemporaryDirectory(prefix=".tlkit-public-", dir=out) as tmp:
        stage = Path(tmp)
        for name in PUBLIC_PATHS:
            src = source / name
            if src.is_dir():
                shutil.copytree(src, stage / name, ignore=IGNORED, symlinks=False)
            elif src.is_file():
                shutil.copy2(src, stage / name)
        leaks = find_leaks(stage, known)
        if leaks:
            raise LeakError("refusing to publish: students could read solutions or hidden "
                            "tests in\n  " + "\n  ".join(leaks))
        (stage / MARKER).write_text(json.dumps(
            {"repository": repository, "ref": ref, "built_by": "tlkit publish --out",
             "private": f"{PRIVATE_FOLDER}/ stays in the instructor's private repository"},
            indent=1) + "\n", encoding="utf-8")
        for path in sorted(stage.iterdir()):
            target = out / path.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
            shutil.move(str(path), target)
            report.written.append(path.name)
    return report
