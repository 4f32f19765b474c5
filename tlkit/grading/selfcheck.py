"""Student self-check: ``with check("ej1", pista="..."):`` answers ✅/❌/⏳ in Spanish.

Imports nothing heavy, so it is cheap in Colab, Jupyter and plain Python. With
``TLKIT_CHECK_STRICT=1`` (set by the grader and the test suite) the exception propagates after
the message, so the cell fails.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

NOT_SOLVED = "aún no has resuelto este ejercicio (sustituye «raise NotImplementedError()» por tu código)"

# question → (status, one-line detail) of the last time its check ran in this kernel; the
# exercise's last cell (``submission_check``) reports these, as run in place.
RESULTS: dict[str, tuple[str, str]] = {}


def strict() -> bool:
    """True when ``TLKIT_CHECK_STRICT`` asks exceptions to propagate."""
    return os.environ.get("TLKIT_CHECK_STRICT", "").strip().lower() in {"1", "true", "yes", "on"}


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _worth(puntos: float | None, got: bool) -> str:
    """`` (1 punto)`` / `` (0 de 2 puntos)`` for a part worth ``puntos``; "" for a whole test."""
    if puntos is None:
        return ""
    unit = "punto" if puntos == 1 else "puntos"
    return f" ({puntos:g} {unit})" if got else f" (0 de {puntos:g} {unit})"


def _message(question: str, exc: BaseException, pista: str | None,
             puntos: float | None = None) -> str:
    if isinstance(exc, NotImplementedError):
        return f"⏳ {question}{_worth(puntos, False)}: {NOT_SOLVED}."
    if isinstance(exc, AssertionError):
        text = _one_line(exc)
        line = f"❌ {question}{_worth(puntos, False)}: incorrecto" + (f". {text}" if text else ".")
    else:
        detail = f"{type(exc).__name__}: {_one_line(exc)}".rstrip(": ")
        line = f"❌ {question}{_worth(puntos, False)}: error al comprobar ({detail})"
        if isinstance(exc, NameError):
            line += ". ¿Has ejecutado las celdas anteriores?"
    return line + (f"\n   Pista: {pista}" if pista else "")


def verdict(exc: BaseException) -> tuple[str, str]:
    """``(status, detail)`` for a check's exception, in the grader's statuses: ``unsolved``,
    else ``failed`` (a failed assertion, or any other error, named in the detail)."""
    if isinstance(exc, NotImplementedError):
        return "unsolved", NOT_SOLVED
    if isinstance(exc, AssertionError):
        return "failed", _one_line(exc) or "la comprobación no se cumple"
    detail = f"{type(exc).__name__}: {_one_line(exc)}".rstrip(": ")
    if isinstance(exc, NameError):
        detail += " (¿has ejecutado todas las celdas anteriores?)"
    return "failed", detail


def _tally_text(question: str, tally: list[tuple[str, float, bool]]) -> tuple[str, str]:
    """The outer check's line and detail when its parts already spoke: points got of total."""
    got = sum(p for _, p, ok in tally if ok)
    total = sum(p for _, p, _ in tally)
    failed = [name for name, _, ok in tally if not ok]
    detail = f"{got:g} de {total:g} puntos" + (f"; falla: {', '.join(failed)}" if failed else "")
    return f"{'❌' if failed else '✅'} {question}: {detail}", detail


# The checks open in this kernel, innermost last: a part (``puntos=``) reports to the check
# around it, so an outer check does not say ✅ when one of its parts failed (not strict).
_OPEN: list[list[tuple[str, float, bool]]] = []


@contextmanager
def check(question: str, pista: str | None = None,
          puntos: float | None = None) -> Iterator[None]:
    """Run a visible test block and print the verdict instead of a traceback.

    ``question`` is the exercise id (or the part's name) shown to the student; ``pista`` a hint
    shown on failure; ``puntos`` makes the block one part of a test cell worth that many
    points (partial credit, see ``tlkit.grading.parts``).
    """
    parent = _OPEN[-1] if _OPEN else None
    tally: list[tuple[str, float, bool]] = []
    _OPEN.append(tally)
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - every failure becomes a one-line verdict
        RESULTS[question] = verdict(exc)
        print(_message(question, exc, pista, puntos), flush=True)
        if parent is not None and puntos is not None:
            parent.append((question, float(puntos), False))
        if strict():
            raise
        return
    finally:
        _OPEN.pop()
    if parent is not None and puntos is not None:
        parent.append((question, float(puntos), True))
    if tally:
        line, detail = _tally_text(question, tally)
        RESULTS[question] = ("passed", "") if line.startswith("✅") else ("failed", detail)
        print(line, flush=True)
        return
    RESULTS[question] = ("passed", "")
    print(f"✅ {question}{_worth(puntos, True)}: correcto", flush=True)
