"""Every Spanish sentence of the grading side that a student reads, written once.

The verdict labels (the feedback and the student's final check), the feedback's frame, why a
file cannot be graded (``intake``), and what the matching noticed: one :class:`FactWording`
per fact of ``plan.matching.FACTS``, said before handing in and after grading, so the two
cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

LABELS = {
    "passed": "✅ correcto",
    "failed": "❌ incorrecto",
    "unsolved": "⏳ sin resolver",
    "timeout": "⏱️ tiempo agotado",
    "crashed": "💥 el kernel se detuvo",
    "invalid": "⚠️ entrega no válida",
    "error": "⚠️ error del corrector",
}
FEEDBACK_TITLE = "Corrección de {student}"
FEEDBACK_SECTION = "{assignment} — {got} / {top} puntos"
FEEDBACK_FILE = "Entrega: `{name}`"
FEEDBACK_HEADER = "| Pregunta | Puntos | Resultado | Detalle |"
FEEDBACK_NOTES = "**Avisos**"
FEEDBACK_FOOTER = ("Las pruebas ocultas se ejecutan solo al corregir; las visibles puedes "
                   "comprobarlas tú en el notebook.")
UNKNOWN_ASSIGNMENT = ("no se sabe a qué ejercicio corresponde: conserva el nombre del notebook "
                      "({names})")
NOT_GRADED = "No se pudo corregir la entrega: {problem}."
KERNEL_DID_NOT_START = "no arrancó el kernel del corrector: {detail}"
GRADER_FAILED = "fallo del corrector: {detail}"
DUPLICATE = ("Había varias copias de este ejercicio en tu entrega; se ha corregido "
             "«{chosen}» y no: {others}.")
INVALID = {  # why a submitted file cannot be graded (status ``invalid``)
    "symlink": "la entrega es un enlace simbólico: no se sigue (entrega el archivo real)",
    "too_big": "el archivo ocupa {size} MB (máximo {limit} MB): borra las salidas y vuelve a "
               "entregarlo",
    "nested": "el archivo tiene un JSON anidado demasiado profundo: no es un notebook válido",
    "not_utf8": "el archivo no es texto UTF-8: no es un notebook .ipynb",
    "not_json": "el archivo no es JSON válido (línea {line}, columna {column}): ¿se cortó al "
                "guardarlo?",
    "unreadable": "no se pudo leer el archivo ({error})",
    "bad_json": "el archivo no es un JSON válido ({error})",
    "not_notebook": "el archivo es JSON pero no es un notebook de Jupyter",
    "nbformat": "formato nbformat {version!r} no soportado: ábrelo y guárdalo con Jupyter o "
                "Colab actuales (nbformat 4)",
    "no_cells": "el notebook no tiene una lista de celdas válida",
}
TAMPERED_NOTE = ("Tu kernel dio por buena una prueba que, con los mismos datos, no se cumple "
                 "fuera de él (o la terminó sin entregar sus datos): algo de tu código cambió "
                 "cómo se comprueban las pruebas. Esas pruebas no puntúan (tampered-runtime). Si "
                 "crees que es un error, avisa a tu profesor.")
HIDDEN_FAILED = "la prueba oculta no se cumple"
DETAIL_IN_NOTEBOOK = "el detalle lo ves al ejecutar la prueba en tu notebook"
DETAIL_OMITTED = "(detalle omitido)"
HINT = "Pista: {hint}"
NOT_DATA = "la prueba necesita «{name}» y tu código no la dejó definida"
BAD_DATA = "los datos que entregó la prueba no se pudieron leer"
TOO_BIG = "la prueba entregó demasiados datos al corrector"
NO_DATA = "la prueba terminó sin entregar sus datos al corrector"
VERDICT_ERROR = "la comprobación falló con {kind}"
LATER_GIVEN_TIMEOUT = ("una celda del enunciado, ejecutada después de tu código, superó su límite "
                       "de {limit:g} s: tu código la hizo más lenta (o la bloqueó) y lo que "
                       "depende de ella no se ha podido comprobar")


@dataclass(frozen=True)
class FactWording:
    """One fact the matching can notice, said twice: by the student's final check before
    handing in (shown as a ``level``: problem, warning or info) and by the feedback after
    grading. Placeholders: ``{cells}`` (the cells concerned), ``{count}``."""

    level: str
    before: str
    after: str


PLAN_FACTS = {  # keyed by ``plan.matching.FACTS``; a test fails when a fact lacks either text
    "edited-locked": FactWording(
        "problem",
        "Has modificado celdas bloqueadas: {cells}. Al corregir se ejecutarán las originales y "
        "tus cambios en ellas no contarán: deshazlos.",
        "Has modificado celdas bloqueadas ({cells}): se han ejecutado las originales; tus "
        "cambios en ellas no cuentan."),
    "deleted-locked": FactWording(
        "problem",
        "Faltan celdas bloqueadas (¿borradas?): {cells}. Vuelve a copiarlas del ejercicio "
        "original, en su sitio.",
        "Faltan celdas bloqueadas ({cells}): se han ejecutado las originales."),
    "missing-solution": FactWording(
        "problem",
        "No encuentro tus celdas de solución {cells}: contarán como no resueltas.",
        "No se encontraron tus celdas de solución ({cells}): cuentan como no resueltas."),
    "reordered": FactWording(
        "warning",
        "Las celdas están en otro orden que en el ejercicio: al corregir se ejecutarán en el "
        "orden original.",
        "Las celdas estaban en otro orden: se han ejecutado en el orden original."),
    "matched-by-position": FactWording(
        "warning",
        "{count} celda(s) han perdido su identificador (¿copiaste el código a otro notebook?): "
        "entrega el notebook del ejercicio.",
        "{count} celda(s) se identificaron por su posición porque les faltaban los "
        "identificadores (¿se copió el notebook a mano?)."),
    "extra-cells": FactWording(
        "info",
        "Has añadido {count} celda(s): al corregir se ejecutan también, en su sitio (que no "
        "tarden ni fallen).",
        "Se han ejecutado {count} celda(s) que añadiste, en su sitio."),
    "cells-before-start": FactWording(
        "warning",
        "Has añadido {count} celda(s) antes de la primera celda del enunciado: al corregir no "
        "se ejecutarán. Si las necesitas, ponlas después de ella.",
        "{count} celda(s) que añadiste antes de la primera celda del enunciado no se han "
        "ejecutado."),
}


def plan_sentences(facts: dict[str, dict], when: str,
                   name: Callable[[str], str] = str) -> list[tuple[str, str]]:
    """``(level, sentence)`` for each fact the matching noticed (``Plan.facts()``), ``when``
    ``"before"`` (the student's final check) or ``"after"`` (the feedback); ``name`` shows a
    cell id to the reader."""
    out = []
    for fact, values in facts.items():
        wording = PLAN_FACTS[fact]
        text = wording.before if when == "before" else wording.after
        cells = ", ".join(name(cell) for cell in values.get("cells", ()))
        out.append((wording.level, text.format(cells=cells, count=values.get("count", 0))))
    return out


def plan_notes(facts: dict[str, dict]) -> list[str]:
    """The feedback's sentences for what the matching noticed."""
    return [text for _, text in plan_sentences(facts, "after")]
