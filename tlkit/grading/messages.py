"""Every Spanish sentence of the grading side that a student reads, written once.

The feedback and the gradebook's reasons (``scoring``, ``batch``, ``reports``), why a file
cannot be graded (``intake``) and what the matching noticed (``plan_notes``).
"""

from __future__ import annotations

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
REDACTED = "[texto omitido: citaba una prueba oculta]"
EVIDENCE = {"probe": "la comprobación del entorno no respondió (¿celdas reescritas?)",
            "user.check": "check redefinido"}


def plan_notes(plan) -> list[str]:
    """Spanish sentences for what the matching noticed."""
    out = []
    if plan.edited:
        out.append("Has modificado celdas bloqueadas (" + ", ".join(plan.edited) + "): "
                   "se han ejecutado las originales; tus cambios en ellas no cuentan.")
    if plan.deleted:
        out.append("Faltan celdas bloqueadas (" + ", ".join(plan.deleted) + "): "
                   "se han ejecutado las originales.")
    if plan.missing_solutions:
        out.append("No se encontraron tus celdas de solución (" +
                   ", ".join(plan.missing_solutions) + "): cuentan como no resueltas.")
    if plan.reordered:
        out.append("Las celdas estaban en otro orden: se han ejecutado en el orden original.")
    if plan.by_position:
        out.append(f"{plan.by_position} celda(s) se identificaron por su posición porque "
                   "les faltaban los identificadores (¿se copió el notebook a mano?).")
    if plan.extras:
        out.append(f"Se han ejecutado {plan.extras} celda(s) que añadiste, en su sitio.")
    if plan.before_start:
        out.append(f"{plan.before_start} celda(s) que añadiste antes de la primera celda del "
                   "enunciado no se han ejecutado.")
    return out
