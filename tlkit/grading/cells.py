"""The exercise-notebook format: solution markers, graded-test metadata, cell kinds, checksums.

Shared vocabulary of the authoring steps, the grader and the student's final check (it also
names the generated last cell, which the grader neither runs nor matches).

A code cell is a *solution* cell when it holds ``### BEGIN SOLUTION`` (or, in a generated
exercise, carries ``metadata.tlkit.solution``), a *test* cell when its metadata holds
``{"tlkit": {"grade": true, ...}}``, and a *given* (locked) cell otherwise.
"""

from __future__ import annotations

import ast
import hashlib
import re

from tlkit.grading.syntax import parse

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
PLACEHOLDER = "# TU CÓDIGO AQUÍ"
RAISE = "raise NotImplementedError()"
MARKDOWN_PLACEHOLDER = "_Escribe aquí tu respuesta._"
META = "tlkit"
ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

GIVEN, SOLUTION, TEST, MARKDOWN, RAW = "given", "solution", "test", "markdown", "raw"
# The generated last cell (``authoring.add_submission_check``): its id and metadata flag.
SUBMISSION_CHECK_ID = "tlkit-entrega"
SUBMISSION_CHECK_FLAG = "submission_check"
# Where generated last cells import ``check_submission`` from (the package face; the old path).
CHECK_MODULES = ("tlkit.grading", "tlkit.grading.submission_check")


def source(cell) -> str:
    """The cell's source as one string (raw JSON may hold a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def tlkit_meta(cell) -> dict:
    """The cell's ``metadata.tlkit`` dict (empty when absent or malformed)."""
    meta = cell.get("metadata") or {}
    value = meta.get(META) if isinstance(meta, dict) else None
    return value if isinstance(value, dict) else {}


def is_test(cell) -> bool:
    """True for a graded test cell (``metadata.tlkit.grade`` is true)."""
    return cell.get("cell_type") == "code" and tlkit_meta(cell).get("grade") is True


def is_hidden(cell) -> bool:
    """True for a hidden graded test cell."""
    return is_test(cell) and tlkit_meta(cell).get("hidden") is True


def has_markers(cell) -> bool:
    """True when the cell's source holds a solution marker line."""
    return any(line.strip().startswith((BEGIN, END)) for line in source(cell).splitlines())


def kind(cell) -> str:
    """The cell's role: ``given``, ``solution``, ``test``, ``markdown`` or ``raw``."""
    cell_type = cell.get("cell_type")
    if cell_type == "markdown":
        return MARKDOWN
    if cell_type != "code":
        return RAW
    if is_test(cell):
        return TEST
    if has_markers(cell) or tlkit_meta(cell).get("solution") is True:
        return SOLUTION
    return GIVEN


def normalise(src: str) -> str:
    """Source with trailing whitespace and trailing blank lines removed (what checksums see)."""
    return "\n".join(line.rstrip() for line in src.splitlines()).rstrip("\n")


def checksum(src: str) -> str:
    """Checksum of a cell's source, insensitive to trailing whitespace."""
    return "sha256:" + hashlib.sha256(normalise(src).encode("utf-8")).hexdigest()


def stable_key(cell) -> str | None:
    """The stable id assign recorded for a cell (metadata first: Colab drops cell ids)."""
    key = tlkit_meta(cell).get("cell")
    if isinstance(key, str) and key:
        return key
    cell_id = cell.get("id")
    return cell_id if isinstance(cell_id, str) and cell_id else None


class MarkerError(ValueError):
    """Solution markers are unbalanced in a cell."""


def clear_source(src: str, *, markdown: bool = False) -> str:
    """``src`` with each marked block replaced, keeping the BEGIN line's indentation."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(src.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if inside:
                raise MarkerError(f"line {number}: {BEGIN} inside another block")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            newline = "\n"
            if markdown:
                out.append(f"{indent}{MARKDOWN_PLACEHOLDER}{newline}")
            else:
                out.append(f"{indent}{PLACEHOLDER}{newline}{indent}{RAISE}{newline}")
        elif stripped.startswith(END):
            if not inside:
                raise MarkerError(f"line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{BEGIN} without {END}")
    text = "".join(out)
    return text.rstrip("\n") if not src.endswith("\n") else text


def _only_the_check_call(src: str) -> bool:
    """True when ``src`` is the generated cell's code and nothing else: the import of
    ``check_submission`` and one call to it with ``globals()`` and literal arguments. Skipping
    such a cell can hide no student code, whoever wrote it."""
    try:
        body = parse(src).body
    except (SyntaxError, ValueError, RecursionError):
        return False
    if len(body) != 2 or not isinstance(body[0], ast.ImportFrom):
        return False
    imported, statement = body
    if imported.module not in CHECK_MODULES or [(a.name, a.asname) for a in imported.names] != [
            ("check_submission", None)]:
        return False
    call = statement.value if isinstance(statement, ast.Expr) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and call.func.id == "check_submission" and call.args):
        return False
    first = call.args[0]
    if not (isinstance(first, ast.Call) and isinstance(first.func, ast.Name)
            and first.func.id == "globals" and not first.args and not first.keywords):
        return False
    try:
        for node in [*call.args[1:], *(k.value for k in call.keywords)]:
            ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return False
    return True


def is_submission_check(cell) -> bool:
    """True for the generated last cell (the grader neither runs nor matches it).

    Recognised by its flag and id, or by its content alone (Colab drops or rewrites cell ids,
    and may drop metadata): see :func:`_only_the_check_call`. A student who copies the flag
    onto another cell does not make the grader skip it."""
    if cell.get("cell_type") != "code":
        return False
    flagged = tlkit_meta(cell).get(SUBMISSION_CHECK_FLAG) is True
    if flagged and cell.get("id") == SUBMISSION_CHECK_ID:
        return True
    return _only_the_check_call(source(cell))
