"""Every Spanish sentence of the grading side that a student reads, written once, by fact.

The verdict labels (the feedback and the student's final check), the feedback's frame, why a
file cannot be graded (``intake``), the verdict ladder's reasons and notes (``scoring``), the
student's final check (``student``), the grade comment sent to the platform (``lms``), and
what the matching noticed: one :class:`FactWording` per fact of ``plan.matching.FACTS``, said
before handing in, after grading and in the platform's comment, so they cannot disagree. Only
``selfcheck`` keeps its own few sentences: it runs in every student's kernel and must import
nothing of tlkit.
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
    "pending": "📝 por corregir a mano",
    "manual": "✍️ corregida a mano",
    "late": "⏰ entrega fuera de plazo",
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
                    "corregido; entrega «{expected}.ipynb» (pregunta a tu profesor si aún "
                    "puedes)")
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
CODE_DID_NOT_FINISH = "tu código no terminó (¿un bucle infinito?)"
REASONS = {  # a test's row in the gradebook and the feedback (``scoring.score``)
    "total_timeout": "se agotó el tiempo total de {seconds:g} s por entrega",
    "stuck": CODE_DID_NOT_FINISH + ": el kernel no respondía tras superar el límite de tiempo",
    "lost": "el kernel se detuvo antes de esta prueba",
    "lost_in": "el kernel se detuvo en una celda anterior ({kind}): os._exit, fallo de "
               "segmentación o memoria agotada",
    "died": "el kernel se detuvo durante la prueba",
    "test_timeout": "la prueba superó el límite de {seconds:g} s",
    "unsolved": "sin resolver (NotImplementedError)",
    "own_timeout": CODE_DID_NOT_FINISH + ": tu celda superó el límite de {seconds:g} s y la "
                   "prueba falló",
    "own_error": "error en tu celda: {mine}; la prueba falló: {error}",
    "hidden_failed": "la prueba oculta no se cumple",
    "in_notebook": "el detalle lo ves al ejecutar la prueba en tu notebook",
    "hint": "{reason}. Pista: {hint}",
    "not_defined": "la prueba necesita «{name}» y tu código no la dejó definida",
    "bad_data": "los datos que entregó la prueba no se pudieron leer",
    "too_big": "la prueba entregó demasiados datos al corrector",
    "no_data": "la prueba terminó sin entregar sus datos al corrector",
    "verdict_error": "la comprobación falló con {kind}",
    "not_met": "la comprobación no se cumple",
    "detail_omitted": "(detalle omitido)",
    "given_timeout_after": "una celda del enunciado, ejecutada después de tu código, superó su "
                           "límite de {seconds:g} s: tu código la hizo más lenta (o la bloqueó) y "
                           "lo que depende de ella no se ha podido comprobar",
    "given_failed_before": "; antes falló una celda del enunciado: {error}",
    "given_timeout": "una celda del enunciado superó su límite de {seconds:g} s (¿máquina "
                     "sobrecargada?)",
    "given_failed": "una celda del enunciado falló: {error}",
}
STATUS_COMMENT = {  # the platform's grade comment (``lms``): which questions did not pass
    "failed": "incorrectas", "unsolved": "sin resolver", "timeout": "tiempo agotado",
    "crashed": "el kernel se detuvo", "invalid": "entrega no válida",
    "wrong-assignment": "otro ejercicio", "error": "error del corrector",
    "pending": "por corregir a mano"}
AUTOMATIC = "(corrección automática)"
COMMENT = {  # the platform's grade comment and the feedback file sent back to it (``lms``)
    "score": "{assignment}: {points} de {top} puntos " + AUTOMATIC + ".",
    "status": " {status}: {questions}.",
    "flags": " Avisos: {notes}.",
    "late": " Entregado fuera de plazo.",
    "manual": " {question} (corregida a mano): {points} de {top}{comment}.",
    "manual_comment": ", «{comment}»",
    "detail": " Detalle en el archivo de corrección.",
    "late_feedback": "Entregado fuera de plazo (según la plataforma).",
}
NOTES = {  # the feedback's notes on a submission (``scoring.score``)
    "cell_timeout": "Una celda tuya superó el límite de {seconds:g} s (¿un bucle infinito?) y se "
                    "interrumpió.",
    "truncated": "Una celda tuya escribió demasiada salida: se ha recortado.",
    "given_failed": "Una celda del enunciado falló ({error}); lo que depende de ella falla "
                    "también. Si no la cambiaste, avisa a tu profesor.",
    "grader_fault": "No es culpa tuya: {fault}. Tu profesor volverá a corregirla.",
    "oom": "Tu entrega superó la memoria permitida y el sistema detuvo un proceso.",
    "given_timeout_after": "Una celda del enunciado, ejecutada después de tu código, superó su "
                           "límite de {seconds:g} s: tu código la hizo más lenta (o la bloqueó).",
    "tampered": "Tu kernel dio por buena una prueba que, con los mismos datos, no se cumple fuera "
                "de él (o la terminó sin entregar sus datos): algo de tu código cambió cómo se "
                "comprueban las pruebas. Esas pruebas no puntúan (tampered-runtime). Si crees "
                "que es un error, avisa a tu profesor.",
}


FINAL_CHECK = {  # the student's final check, the exercise's last cell (``student``)
    "source_colab": "el notebook abierto en Colab",
    "colab_silent": "Colab no devolvió el notebook",
    "source_saved": "la versión guardada de {name}",
    "source_missing": "no encuentro el archivo del notebook",
    "refused": "El corrector rechazaría este notebook: {problem}.",
    "metadata_lost": "El notebook ha perdido sus metadatos de tlkit: el corrector reconocerá el "
                     "ejercicio solo por el nombre del archivo ({assignment}.ipynb).",
    "history": "En esta sesión no se han ejecutado tal cual estas celdas bloqueadas (¿las has "
               "modificado, o no las has ejecutado?): {cells}.",
    "partial": "No he podido leer el notebook ({why}), así que la revisión de celdas "
               "bloqueadas es parcial",
    "partial_blind": "{partial}: comprueba tú que no has cambiado ni borrado ninguna celda "
                     "bloqueada.",
    "partial_history": "{partial}: solo miro lo que has ejecutado en esta sesión.",
    "unchecked": "No he podido revisar la integridad del notebook ({error}).",
    "table": ("Pregunta", "Puntos", "Estado", "Pendiente"),
    "title": "Comprobación final de {assignment}",
    "visible": "Pruebas visibles: {got} / {top} puntos.",
    "hidden": "Al corregir se ejecutan además pruebas ocultas que suman {hidden} [punto|puntos] "
              "más (total del ejercicio: {total}); aquí no se pueden comprobar.",
    "written": "Preguntas escritas que corrige tu profesor a mano ({points} [punto|puntos]; total "
               "del ejercicio: {total}): {questions}.",
    "unanswered": "Aún sin responder: {questions}.",
    "pending": "Aún no pasan: {questions}.",
    "where_results": "Cada resultado es el de la última vez que se ejecutó la prueba en su sitio "
                     "(*: no se había ejecutado, o su celda cambió, y se ha ejecutado ahora). El "
                     "corrector ejecuta el notebook de arriba abajo: si has cambiado algo, "
                     "ejecuta todo (Colab: Entorno de ejecución → Ejecutar todas; Jupyter: Run → "
                     "Run All Cells) y después esta celda.",
    "review_of": "Revisión del notebook ({where}):",
    "review": "Revisión del notebook:",
    "save_again": "(si has cambiado algo después de guardar, guarda y vuelve a ejecutar esta "
                  "celda)",
    "intact": "✅ Celdas bloqueadas intactas, nada borrado ni desordenado.",
    "what": "📤 Qué entregar: este notebook completo, en formato .ipynb (no un PDF, ni un .py, ni "
            "un enlace a Drive).",
    "colab": "En Colab: Archivo → Descargar → Descargar .ipynb. Se descarga «{name}» (si se "
             "llama «Copia de {name}», también vale).",
    "jupyter": "En Jupyter o VS Code: guarda ({save_keys}) y entrega el archivo «{path}» tal cual.",
    "keep_name": "Conserva el nombre «{name}» y súbelo a la tarea del curso ({hand_in}). Puedes "
                 "volver a entregarlo mientras la tarea esté abierta.",
    "failed": "No he podido completar la comprobación final ({error}). Entrega igualmente el "
              "notebook .ipynb (Colab: Archivo → Descargar → Descargar .ipynb) con el nombre "
              "«{assignment}.ipynb».",
}
MARKS = {"problem": "❌", "warning": "⚠️", "info": "ℹ️"}  # how the final check shows a fact's level


_PLURAL = re.compile(r"\[([^|\]]*)\|([^\]]*)\]")


def agree(text: str, count: float) -> str:
    """``text`` with each ``[singular|plural]`` chosen for ``count``: "1 celda se identificó",
    "2 celdas se identificaron" (never "celda(s)")."""
    return _PLURAL.sub(lambda m: m[1] if count == 1 else m[2], text)


@dataclass(frozen=True)
class FactWording:
    """One fact the matching can notice, said twice: by the student's final check before
    handing in (shown as a ``level``: problem, warning or info) and by the feedback after
    grading, and in short in the grade comment sent to the platform. Placeholders: ``{cells}``
    (the cells concerned), ``{count}``."""

    level: str
    before: str
    after: str
    comment: str = ""  # the platform's grade comment (``lms``), when the fact is worth one


PLAN_FACTS = {  # keyed by ``plan.matching.FACTS``; a test fails when a fact lacks either text
    "edited-locked": FactWording(
        "problem",
        "Has modificado celdas bloqueadas: {cells}. Al corregir se ejecutarán las originales y "
        "tus cambios en ellas no contarán: deshazlos.",
        "Has modificado celdas bloqueadas ({cells}): se han ejecutado las originales; tus "
        "cambios en ellas no cuentan.",
        "modificaste celdas bloqueadas (contaron las originales)"),
    "deleted-locked": FactWording(
        "problem",
        "Faltan celdas bloqueadas (¿borradas?): {cells}. Vuelve a copiarlas del ejercicio "
        "original, en su sitio.",
        "Faltan celdas bloqueadas ({cells}): se han ejecutado las originales.",
        "faltaban celdas bloqueadas"),
    "missing-solution": FactWording(
        "problem",
        "No encuentro tus celdas de solución {cells}: contarán como no resueltas.",
        "No se encontraron tus celdas de solución ({cells}): cuentan como no resueltas.",
        "no se encontraron celdas de solución"),
    "reordered": FactWording(
        "warning",
        "Las celdas están en otro orden que en el ejercicio: al corregir se ejecutarán en el "
        "orden original.",
        "Las celdas estaban en otro orden: se han ejecutado en el orden original.",
        "celdas en otro orden"),
    "matched-by-position": FactWording(
        "warning",
        "{count} [celda ha|celdas han] perdido su identificador (¿copiaste el código a otro "
        "notebook?): entrega el notebook del ejercicio.",
        "{count} [celda se identificó|celdas se identificaron] por su posición porque [le "
        "faltaba su identificador|les faltaban los identificadores] (¿se copió el notebook a "
        "mano?).",
        "celdas sin identificador"),
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
        "[ha|han] ejecutado.",
        "celdas añadidas antes del enunciado (no se ejecutaron)"),
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


def flag_comments() -> dict[str, str]:
    """Gradebook flag → its words in the platform's grade comment (in ``PLAN_FACTS`` order)."""
    return {fact: wording.comment for fact, wording in PLAN_FACTS.items() if wording.comment}


def plan_notes(facts: dict[str, dict]) -> list[str]:
    """The feedback's sentences for what the matching noticed."""
    return [text for _, text in plan_sentences(facts, "after")]


# Written answers graded by hand (reports/written_page.py, reports/manual_grades.py)
WRITTEN_TITLE = "Respuestas escritas — {assignment}"
WRITTEN_RUBRIC = "Rúbrica"
WRITTEN_MODEL = "Respuesta de referencia"
WRITTEN_NO_ANSWER = "(sin respuesta)"
PENDING_REASON = "pendiente de corrección a mano"
MANUAL_SECTION = "Corrección a mano"
MANUAL_TOTAL = "Total de {assignment} con la corrección a mano: {got} / {top} puntos."
GRADESCOPE = {  # what Gradescope shows a student (``gradescope.run``)
    "no_notebook": "No se encontró ningún notebook (.ipynb) en tu entrega: sube el archivo "
                   "{assignment}.ipynb descargado de Colab o Jupyter.",
    "not_recognised": "Tu entrega no parece el ejercicio {assignment}: sube el notebook del "
                      "ejercicio (los notebooks encontrados: {names}).",
    "hidden_apart": "Las pruebas ocultas no están en este resumen: aparecen en la lista de pruebas "
                    "cuando tu profesor lo permita (normalmente, después de la fecha límite).",
    "grader_failed": "No se pudo corregir la entrega por un fallo del corrector (no es culpa "
                     "tuya); avisa a tu profesor. Detalle: {detail}",
}
LATE = {  # the late penalty's sentence (``late_policy``): gradebook reason, feedback, comment
    "zero": "una entrega fuera de plazo vale 0 puntos",
    "none": "sin penalización por retraso",
    "per_day": "se resta un {pct} % por cada día (o fracción) de retraso",
    "cap": ", como máximo un {pct} %",
    "known": "Entregado {days} día(s) después de la fecha límite",
    "marked": "La plataforma marcó la entrega como fuera de plazo sin decir cuándo llegó: se "
              "cuenta 1 día",
    "taken": "se restan {taken} de {points} puntos",  # recomputed by reports.late_penalty
    "note": "{when}; {rule}: {taken} ({pct} %).",
}
