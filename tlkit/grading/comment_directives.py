"""Transform: first-line ``# tlkit: …`` comments become the cell metadata the grader reads.

An instructor writing an exercise in Colab (which has no metadata editor) marks cells with a
first line such as::

    # tlkit: prueba ej1_congelar puntos=2 oculta
    # tlkit: respuesta escrita ej4 puntos=3 rubrica="3: razona con el tamaño del dataset"
    <!-- tlkit: respuesta escrita ej4 puntos=3 -->      (markdown: invisible when rendered)

Words: ``prueba``/``test`` (a graded test cell) or ``respuesta escrita``/``written`` (an answer
graded by hand); then the question id; then ``puntos=N``/``points=N``, ``oculta``/``hidden``,
``visible``, ``rubrica="…"``/``rubric="…"``. The line is removed from the cell, so an exercise
authored by comment and one authored with metadata give the same student version.
"""

from __future__ import annotations

import copy
import re
import shlex
from dataclasses import dataclass

from tlkit.grading.cells import ID_PATTERN, META, source

LINE = re.compile(r"^\s*(?:#|<!--)\s*tlkit\s*:(?P<body>.*?)(?:-->)?\s*$", re.IGNORECASE)
KINDS = {("prueba",): "test", ("test",): "test", ("respuesta", "escrita"): "written",
         ("written",): "written", ("written", "answer"): "written"}
NEAR_MISSES = ("prueb", "respuest", "test", "written", "escrit")
HIDDEN_WORDS = {"oculta": True, "oculto": True, "hidden": True, "visible": False}
POINTS_KEYS = ("puntos", "points")
RUBRIC_KEYS = ("rubrica", "rúbrica", "rubric")


class DirectiveError(ValueError):
    """A ``# tlkit:`` line that cannot be read; the message names the cell and the word."""


@dataclass(frozen=True)
class Directive:
    """What one comment said: the cell's position and the metadata it stands for."""

    index: int
    kind: str  # test or written
    question: str
    points: float
    hidden: bool = False
    rubric: str = ""

    def metadata(self) -> dict:
        """The ``metadata.tlkit`` entries this directive writes."""
        if self.kind == "test":
            return {"grade": True, "id": self.question, "points": _number(self.points),
                    "hidden": self.hidden}
        meta = {"written": True, "id": self.question, "points": _number(self.points)}
        if self.rubric:
            meta["rubric"] = self.rubric
        return meta

    def describe(self) -> str:
        """One English line for ``tlkit assign``'s report."""
        what = ("test" if self.kind == "test" else "written answer")
        text = f"cell {self.index}: {what} {self.question}, {_number(self.points)} point(s)"
        if self.hidden:
            text += ", hidden"
        if self.rubric:
            short = self.rubric if len(self.rubric) <= 60 else self.rubric[:59] + "…"
            text += f", rubric {short!r}"
        return text


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _first_line(src: str) -> tuple[str, str]:
    """The first non-blank line and the rest of the source after it."""
    lines = src.splitlines(keepends=True)
    for position, line in enumerate(lines):
        if line.strip():
            return line, "".join(lines[position + 1:])
    return "", ""


def parse_line(line: str, where: str) -> tuple[str, str, float, bool, str] | None:
    """``(kind, question, points, hidden, rubric)`` of a directive line; None if not one."""
    match = LINE.match(line)
    if not match:
        return None
    try:
        words = shlex.split(match["body"])
    except ValueError as exc:
        raise DirectiveError(f"{where}: cannot read '# tlkit:' line ({exc})") from None
    lowered = [w.casefold() for w in words]
    kind = None
    for size in (2, 1):
        if tuple(lowered[:size]) in KINDS:
            kind, words = KINDS[tuple(lowered[:size])], words[size:]
            break
    if kind is None:
        if lowered and lowered[0].startswith(NEAR_MISSES):  # a typo, not another tlkit line
            raise DirectiveError(f"{where}: '# tlkit:' must start with 'prueba' or "
                                 f"'respuesta escrita' (read {match['body'].strip()!r})")
        return None  # another tlkit comment, e.g. the generated setup cell's first line
    if not words or not ID_PATTERN.match(words[0]) or "=" in words[0]:
        raise DirectiveError(f"{where}: '# tlkit: {' '.join(lowered[:1])}' needs a question "
                             "id (letters, digits, '-', '_') right after it")
    question, points, hidden, rubric = words[0], None, False, ""
    for word in words[1:]:
        key, _, value = word.partition("=")
        key = key.casefold()
        if key in POINTS_KEYS and value:
            try:
                points = float(value.replace(",", "."))
            except ValueError:
                points = -1.0
            if points < 0:
                raise DirectiveError(f"{where}: {word!r}: points must be a number >= 0")
        elif key in RUBRIC_KEYS and value:
            rubric = value
        elif not value and key in HIDDEN_WORDS:
            hidden = HIDDEN_WORDS[key]
        else:
            raise DirectiveError(f"{where}: unknown word {word!r} in '# tlkit:' line (use "
                                 "puntos=N, oculta, visible, rubrica=\"…\")")
    if points is None:
        raise DirectiveError(f"{where}: '# tlkit:' line for {question!r} needs puntos=N")
    if hidden and kind == "written":
        raise DirectiveError(f"{where}: a written answer cannot be hidden")
    return kind, question, points, hidden, rubric


def apply_directives(nb, name: str = "notebook"):
    """Copy of ``nb`` with every directive turned into metadata, and the directives read.

    A cell whose metadata already says something else is an error: one source of truth.
    """
    nb = copy.deepcopy(nb)
    found: list[Directive] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type not in ("code", "markdown"):
            continue
        line, rest = _first_line(source(cell))
        where = f"{name}, cell {index}"
        parsed = parse_line(line, where)
        if parsed is None:
            continue
        directive = Directive(index, *parsed)
        if directive.kind == "test" and cell.cell_type != "code":
            raise DirectiveError(f"{where}: '# tlkit: prueba' belongs in a code cell")
        meta = cell.metadata.setdefault(META, {})
        new = directive.metadata()
        clash = {k: meta[k] for k in new if k in meta and meta[k] != new[k]}
        if clash:
            raise DirectiveError(f"{where}: the '# tlkit:' line says {new} but the cell "
                                 f"metadata says {clash}: keep one of them")
        meta.update(new)
        cell.source = rest
        found.append(directive)
    return nb, found
