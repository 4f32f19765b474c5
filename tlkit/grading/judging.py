"""A graded test cell in two parts: what runs in the student's kernel, what decides the verdict.

A test cell is ``with check("id", pista="..."):`` followed by a body. The body's statements
before the first one holding an ``assert`` are the *collect* part: they may call the student's
functions and read models, and they leave plain values in the namespace. From that statement
on, the statements are the *verdict*: they read only data (numbers, text, lists, dicts, NumPy
arrays) and ``np``/``math``, and they compare it with what is expected. In the student's notebook the cell runs as written; the
grader runs the collect part in the student's kernel, hands the values the verdict reads over
(``handover``), and runs the verdict in a fresh process where no student code ever ran
(``scoring.verifier``). Which values: the verdict's free names (by ``ast``), except builtins, the modules
the verifier provides, and *constants* — names the solution notebook binds once to a literal
or a ``config.pick`` of literals (a threshold, a target count), which the verifier evaluates
itself so a student cannot move them.
"""

from __future__ import annotations

import ast
import builtins
import textwrap
from dataclasses import dataclass

from tlkit.grading.syntax import parse

PROVIDED = ("np", "math")  # what the verifier's namespace holds besides the data


class SplitError(ValueError):
    """A test cell the grader cannot split (the message says what the format needs)."""


@dataclass(frozen=True)
class SplitTest:
    """One test cell, split."""

    question: str
    hint: str  # the check's ``pista`` (instructor text), empty when none
    collect: str  # statements for the student's kernel (dedented source)
    verdict: str  # statements for the verifier (dedented source)
    names: tuple[str, ...]  # free names of the verdict, in order of first use


def _segment(lines: list[str], nodes: list[ast.stmt]) -> str:
    if not nodes:
        return ""
    first = min(getattr(n, "lineno") for n in nodes)
    if any(isinstance(n, ast.stmt) and getattr(n, "decorator_list", None) for n in nodes):
        first = min(first, *(d.lineno for n in nodes for d in getattr(n, "decorator_list", [])))
    last = max(getattr(n, "end_lineno") for n in nodes)
    return textwrap.dedent("\n".join(lines[first - 1:last]))


def _check_call(node: ast.stmt) -> ast.Call | None:
    if not isinstance(node, ast.With) or len(node.items) != 1:
        return None
    call = node.items[0].context_expr
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "check":
        return call
    return None


def free_names(source: str) -> tuple[str, ...]:
    """Names ``source`` reads but never binds, minus builtins and :data:`PROVIDED`."""
    tree = parse(source)
    bound: set[str] = set()
    used: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                used.append(node.id)
            else:
                bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    skip = bound | set(PROVIDED) | set(dir(builtins))
    return tuple(dict.fromkeys(n for n in used if n not in skip))


def split_test(source: str) -> SplitTest:
    """The two parts of a test cell's ``source`` (raises :class:`SplitError`)."""
    try:
        tree = parse(source)
    except SyntaxError as exc:
        raise SplitError(f"the test does not parse: {exc}") from exc
    lines = source.splitlines()
    withs = [n for n in tree.body if _check_call(n) is not None]
    if len(withs) != 1 or tree.body[-1] is not withs[0]:
        raise SplitError('a test cell must end in one `with check("id", pista=...):` block')
    block = withs[0]
    call = _check_call(block)
    question = call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else ""
    hint = next((k.value.value for k in call.keywords if k.arg == "pista"
                 and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)), "")
    cut = next((i for i, n in enumerate(block.body)
                if any(isinstance(m, ast.Assert) for m in ast.walk(n))), None)
    if cut is None:
        raise SplitError("the `with check(...)` block needs at least one `assert`: the "
                         "verdict starts at the first statement holding one")
    before = tree.body[:-1]
    collect = "\n".join(filter(None, [_segment(lines, before),
                                      _segment(lines, block.body[:cut])]))
    verdict = _segment(lines, block.body[cut:])
    return SplitTest(str(question), hint, collect, verdict, free_names(verdict))


def constants(sources: list[str]) -> dict[str, str]:
    """Name → expression source, for names the notebook binds exactly once, at top level, to
    a literal or to ``config.pick(...)`` of literals (the verifier evaluates these itself)."""
    seen: dict[str, int] = {}
    found: dict[str, str] = {}
    for source in sources:
        try:
            tree = parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                seen[node.id] = seen.get(node.id, 0) + 1
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name) and _constant(node.value)):
                found[node.targets[0].id] = ast.unparse(node.value)
    return {name: expr for name, expr in found.items() if seen.get(name) == 1}


def _constant(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
        return True
    except ValueError:
        pass
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "pick" and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "config" and not node.args
            and all(_literal(k.value) for k in node.keywords))


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
        return True
    except ValueError:
        return False


def evaluate_constant(expr: str):
    """The value of a :func:`constants` expression, evaluated here (the verifier)."""
    node = parse(expr, mode="eval").body
    if isinstance(node, ast.Call):
        from tlkit import config

        return config.pick(**{k.arg: ast.literal_eval(k.value) for k in node.keywords})
    return ast.literal_eval(node)
