"""Partial credit: a test cell split into parts, each a ``with check("…", puntos=N):`` block.

A test cell worth 3 points may hold three blocks of one point each, one after another or
nested in one outer ``with check("ej1"):``::

    resultado = normaliza([1, 1, 2])
    with check("ej2_suma", puntos=1, pista="…"):
        assert sum(resultado) == 1
    with check("ej2_valores", puntos=2):
        assert resultado == [0.25, 0.25, 0.5]

The split is static (the solution's source, parsed once): each part is graded as its own test
cell, with the statements written since the previous part before it, so a failing part never
stops the next; like any test (``judging``), its statements before the first ``assert`` run in
the student's kernel and its asserts are decided by the verifier on the data handed over.
Points must add up to the test cell's points. In the student's notebook nothing is split: the
self-check prints one ✅/❌ per block as the cell runs.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass

from tlkit.grading.cells import ID_PATTERN
from tlkit.grading.syntax import parse

CHECK = "check"
POINTS = "puntos"


class PartsError(ValueError):
    """A test cell whose parts cannot be graded; the message says which and why."""


@dataclass(frozen=True)
class Part:
    """One part of a test cell: its name (the ``check`` question), points and source."""

    name: str
    points: float
    source: str


def _check_call(node: ast.stmt) -> ast.Call | None:
    """The ``check(...)`` call a ``with`` statement opens, if it opens exactly that."""
    if not isinstance(node, (ast.With, ast.AsyncWith)) or len(node.items) != 1:
        return None
    call = node.items[0].context_expr
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == CHECK:
        return call
    return None


def _points(call: ast.Call) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == POINTS), None)


def _is_part(node: ast.stmt) -> bool:
    call = _check_call(node)
    return call is not None and _points(call) is not None


def _segment(lines: list[str], nodes: list[ast.stmt]) -> str:
    """The source lines of ``nodes`` (a run of sibling statements), dedented."""
    start = nodes[0].lineno - 1
    if getattr(nodes[0], "decorator_list", None):
        start = nodes[0].decorator_list[0].lineno - 1
    return textwrap.dedent("".join(lines[start:nodes[-1].end_lineno])).rstrip("\n")


def _describe(call: ast.Call, where: str) -> tuple[str, float]:
    if not call.args or not isinstance(call.args[0], ast.Constant) or \
            not isinstance(call.args[0].value, str):
        raise PartsError(f"{where}: a part's check(...) needs its name as a plain string")
    name = call.args[0].value
    if not ID_PATTERN.match(name):
        raise PartsError(f"{where}: part name {name!r} must be letters, digits, '-', '_'")
    value = _points(call)
    if not isinstance(value, ast.Constant) or isinstance(value.value, bool) or \
            not isinstance(value.value, (int, float)) or value.value < 0:
        raise PartsError(f"{where}: part {name!r} needs puntos= a plain number >= 0")
    return name, float(value.value)


def split_parts(src: str, points: float | None = None, where: str = "test cell") -> list[Part]:
    """The parts of a test cell's source; empty when it has none (graded as one test).

    Raises :class:`PartsError` when parts are malformed, nested deeper than one outer check,
    repeat a name, or (with ``points``) do not add up to the cell's points.
    """
    try:
        tree = parse(src)
    except SyntaxError:
        return []  # not plain Python (magics): graded whole, as before
    body = tree.body
    outer = [n for n in body if _check_call(n) is not None and not _is_part(n)]
    if len(outer) == 1 and len(body) == 1 and any(_is_part(n) for n in outer[0].body):
        body = outer[0].body  # one outer check("ej1") around the parts: its body is the cell
    if not any(_is_part(n) for n in body):
        # A statement's ``body`` is a list; an expression's (``x if c else y``, lambda) is not.
        if any(_is_part(inner) for node in ast.walk(tree)
               if node is not tree and isinstance(getattr(node, "body", None), list)
               for inner in node.body if isinstance(inner, ast.stmt)):
            raise PartsError(f"{where}: check(..., puntos=...) blocks must be at the top of "
                             "the cell or directly inside one outer check(...)")
        return []
    lines = src.splitlines(keepends=True)
    parts: list[Part] = []
    pending: list[ast.stmt] = []
    for node in body:
        pending.append(node)
        if _is_part(node):
            name, value = _describe(_check_call(node), where)
            if any(p.name == name for p in parts):
                raise PartsError(f"{where}: two parts are named {name!r}")
            parts.append(Part(name, value, _segment(lines, pending)))
            pending = []
    if pending:  # statements after the last part belong to it
        last = parts[-1]
        parts[-1] = Part(last.name, last.points,
                         last.source + "\n" + _segment(lines, pending))
    total = sum(p.points for p in parts)
    if points is not None and abs(total - points) > 1e-9:
        raise PartsError(f"{where}: its parts add up to {total:g} points but the cell is worth "
                         f"{points:g}")
    return parts
