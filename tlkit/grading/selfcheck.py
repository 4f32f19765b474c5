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


STALE_STATE = ("Si has corregido una celda anterior, ejecuta de nuevo desde el principio: la "
               "memoria del cuaderno guarda lo que hicieron sus versiones viejas (Colab: Entorno de "
               "ejecución → Reiniciar y ejecutar todo; Jupyter: Kernel → Restart Kernel and Run All Cells).")


# Whether the cell run just before the current one stopped at a NotImplementedError: kept by an
# IPython hook that check() installs the first time it runs in a kernel.
_PREVIOUS_CELL = {"unsolved": None}


def _watch_cells() -> None:
    """Record, after every cell of this IPython kernel, whether it stopped unsolved."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    if shell is None or getattr(shell, "_tlkit_watching", False):
        return
    shell._tlkit_watching = True

    def after(result=None):
        _PREVIOUS_CELL["unsolved"] = isinstance(getattr(result, "error_in_exec", None), NotImplementedError)

    shell.events.register("post_run_cell", after)


def _unsolved(exc: BaseException) -> bool:
    """The exercise is not attempted yet: its own ``NotImplementedError``, or any failure right
    after its cell stopped at ``raise NotImplementedError()`` (a name it would define is
    missing, or a check fails on the notebook as given). Before the hook has seen a cell,
    IPython's ``sys.last_value`` (the last uncaught exception) stands in for it."""
    import sys

    if isinstance(exc, NotImplementedError):
        return True
    previous = _PREVIOUS_CELL["unsolved"]
    if previous is None:
        return isinstance(getattr(sys, "last_value", None), NotImplementedError)
    return previous


def _message(question: str, exc: BaseException, pista: str | None, unsolved: bool,
             puntos: float | None = None, stale_hint: bool = True) -> str:
    """The failure's lines; ``stale_hint=False`` for a part, whose test cell's tally line
    carries the stale-state advice once."""
    if unsolved:
        return f"⏳ {question}{_worth(puntos, False)}: {NOT_SOLVED}."
    if isinstance(exc, AssertionError):
        text = _one_line(exc)
        line = f"❌ {question}{_worth(puntos, False)}: incorrecto" + (f". {text}" if text else ".")
    else:
        detail = f"{type(exc).__name__}: {_one_line(exc)}".rstrip(": ")
        line = f"❌ {question}{_worth(puntos, False)}: error al comprobar ({detail})"
        if isinstance(exc, NameError):
            line += ". ¿Has ejecutado las celdas anteriores?"
    return (line + (f"\n   Pista: {pista}" if pista else "")
            + (f"\n   {STALE_STATE}" if stale_hint else ""))


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


def _tally_text(question: str, tally: list[tuple[str, float, bool, bool]]) -> tuple[str, str, str]:
    """The outer check's status, line and detail when its parts already spoke: points got of
    total; ⏳ when no part is attempted yet (every part stopped unsolved)."""
    if all(unsolved for *_, unsolved in tally):
        return "unsolved", f"⏳ {question}: {NOT_SOLVED}.", NOT_SOLVED
    got = sum(p for _, p, ok, _ in tally if ok)
    total = sum(p for _, p, _, _ in tally)
    failed = [name for name, _, ok, _ in tally if not ok]
    detail = f"{got:g} de {total:g} puntos" + (f"; falla: {', '.join(failed)}" if failed else "")
    if not failed:
        return "passed", f"✅ {question}: {detail}", ""
    return "failed", f"❌ {question}: {detail}\n   {STALE_STATE}", detail


# The checks open in this kernel, innermost last: a part (``puntos=``) reports to the check
# around it, so an outer check does not say ✅ when one of its parts failed (not strict).
# Each entry: (part, points, passed, unsolved).
_OPEN: list[list[tuple[str, float, bool, bool]]] = []


@contextmanager
def check(question: str, pista: str | None = None,
          puntos: float | None = None) -> Iterator[None]:
    """Run a visible test block and print the verdict instead of a traceback.

    ``question`` is the exercise id (or the part's name) shown to the student; ``pista`` a hint
    shown on failure; ``puntos`` makes the block one part of a test cell worth that many
    points (partial credit, see ``tlkit.grading.parts``).
    """
    # The kernel a student types into: watch which cell stopped unsolved. Not in the grader's
    # (strict) kernels, whose verdicts name only what a test itself raised.
    lenient = not strict()
    if lenient:
        _watch_cells()
    parent = _OPEN[-1] if _OPEN else None
    is_part = parent is not None and puntos is not None
    tally: list[tuple[str, float, bool, bool]] = []
    _OPEN.append(tally)
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - every failure becomes a one-line verdict
        unsolved = _unsolved(exc) if lenient else isinstance(exc, NotImplementedError)
        RESULTS[question] = ("unsolved", NOT_SOLVED) if unsolved else verdict(exc)
        print(_message(question, exc, pista, unsolved, puntos, stale_hint=not is_part), flush=True)
        if is_part:
            parent.append((question, float(puntos), False, unsolved))
        if strict():
            raise
        return
    finally:
        _OPEN.pop()
    if parent is not None and puntos is not None:
        parent.append((question, float(puntos), True, False))
    if tally:
        status, line, detail = _tally_text(question, tally)
        RESULTS[question] = (status, detail)
        print(line, flush=True)
        return
    RESULTS[question] = ("passed", "")
    print(f"✅ {question}{_worth(puntos, True)}: correcto", flush=True)
