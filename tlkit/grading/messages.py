"""Every Spanish sentence of the grading side that a student reads, written once.

The verdict labels (the feedback and the student's final check), the feedback's frame, why a
file cannot be graded (``intake``), and what the matching noticed: one :class:`FactWording`
per fact of ``plan.matching.FACTS``, said before handing in and after grading, so the two
cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

LABELS = {
    "passed": "✅ correcto",
    "failed": "❌ incorrecto",
    "unsolved": "⏳ sin resolver",
    "timeout": "⏱️ tiempo agotado",
    "crashed": "💥 el kernel se detuvo",
    "invalid": "⚠️ entrega no válida",
    "wrong-assignment": "🔀 otro ejercicio",
    "error": "⚠️ error del corrector",
}
FEEDBACK_TITLE = "Corrección de {student}"
FEEDBACK_SECTION = "{assignment} — {got} / {top} puntos"
FEEDBACK_FILE = "Archivo corregido: `{name}`"
FEEDBACK_HEADER = "| Pregunta | Puntos | Resultado | Detalle |"
FEEDBACK_NOTES = "**Avisos**"
FEEDBACK_QUESTION = "{title} · {kind}"
FEEDBACK_VISIBLE = "prueba visible"
FEEDBACK_HIDDEN = "prueba oculta"
FEEDBACK_HINT = "Pista"
FEEDBACK_TOTAL = "{got} de {top} puntos"
FEEDBACK_GRADE = "Nota: {grade} sobre {scale}"
FEEDBACK_FOOTER = ("Las pruebas ocultas se ejecutan solo al corregir; las visibles puedes "
                   "comprobarlas tú en el notebook.")
UNKNOWN_ASSIGNMENT = ("no se sabe a qué ejercicio corresponde: conserva el nombre del notebook "
                      "({names})")
WRONG_ASSIGNMENT = ("entregaste el ejercicio «{handed}» en la tarea de «{expected}»: no se ha "
                    "corregido; entrega «{expected}.ipynb» (pregunta a tu profesor si aún puedes)")
NOT_GRADED = "No se pudo corregir la entrega: {problem}."
KERNEL_DID_NOT_START = "no arrancó el kernel del corrector: {detail}"
GRADER_FAILED = "fallo del corrector: {detail}"
DUPLICATE = ("Había varias copias de este ejercicio en tu entrega; se ha corregido "
             "«{chosen}» y no: {others}.")
INVALID = {  # why a submitted file cannot be graded (status ``invalid``)
    "not_ipynb": "entregaste «{name}», que no es un notebook .ipynb: en Colab, Archivo → "
                 "Descargar → Descargar .ipynb, y entrega ese archivo",
    "empty": "tu entrega no contenía ningún archivo",
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
REDACTED = "[texto omitido: citaba una prueba oculta]"
CODE_DID_NOT_FINISH = "tu código no terminó (¿un bucle infinito?)"
EVIDENCE = {"probe": "la comprobación del entorno no respondió (¿celdas reescritas?)",
            "user.check": "check redefinido"}


_PLURAL = re.compile(r"\[([^|\]]*)\|([^\]]*)\]")


def agree(text: str, count: float) -> str:
    """``text`` with each ``[singular|plural]`` chosen for ``count``: "1 celda se identificó",
    "2 celdas se identificaron" (never "celda(s)")."""
    return _PLURAL.sub(lambda m: m[1] if count == 1 else m[2], text)


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
        "{count} [celda ha|celdas han] perdido su identificador (¿copiaste el código a otro "
        "notebook?): entrega el notebook del ejercicio.",
        "{count} [celda se identificó|celdas se identificaron] por su posición porque [le "
        "faltaba su identificador|les faltaban los identificadores] (¿se copió el notebook a "
        "mano?)."),
    "extra-cells": FactWording(
        "info",
        "Has añadido {count} [celda|celdas]: al corregir se [ejecuta|ejecutan] también, en su "
        "sitio (que no [tarde ni falle|tarden ni fallen]).",
        "Se [ha|han] ejecutado {count} [celda|celdas] que añadiste, en su sitio."),
    "cells-before-start": FactWording(
        "warning",
        "Has añadido {count} [celda|celdas] antes de la primera celda del enunciado: al "
        "corregir no se [ejecutará|ejecutarán]. Si [la necesitas, ponla|las necesitas, ponlas] "
        "después de ella.",
        "{count} [celda|celdas] que añadiste antes de la primera celda del enunciado no se "
        "[ha|han] ejecutado."),
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
        count = values.get("count", 0)
        out.append((wording.level, agree(text.format(cells=cells, count=count), count)))
    return out


def plan_notes(facts: dict[str, dict]) -> list[str]:
    """The feedback's sentences for what the matching noticed."""
    return [text for _, text in plan_sentences(facts, "after")]
