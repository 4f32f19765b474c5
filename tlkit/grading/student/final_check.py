"""The student's last cell: visible verdicts, the grader's integrity check, what to hand in.

Each visible test's verdict is the one ``check`` recorded where the test cell ran (the grader
runs the notebook top to bottom, so that is what counts); a test never run, or whose cell was
edited or deleted, is run now from its original source (marked ``*``).

``check_submission`` is called by the cell ``tlkit assign`` appends to every exercise (see
``authoring.add_submission_check``), with the locked cells' checksums and the visible tests embedded in
the cell, because a kernel cannot always read its own notebook. Where the notebook comes from:

- **Colab**: the live notebook, asked from the browser (``google.colab._message``, request
  ``get_ipynb``), unsaved edits included.
- **VS Code**: the file named by ``__vsc_ipynb_file__`` (the saved version).
- **Jupyter** (Lab, Notebook 7, server >= 2): the file named by ``JPY_SESSION_NAME``, else
  ``<assignment>.ipynb`` in the working folder, else the newest notebook there whose metadata
  names the assignment (a renamed copy); always the saved version.
- **Otherwise** (or when reading fails): IPython's input history, which shows only whether each
  locked cell was run unchanged in this session; the message says the check is partial.

Integrity is judged by the grader's own code (``read_submission`` and ``build_plan``), with an
assignment rebuilt from the embedded data. Hidden tests are never named: only their point total.
Nothing here raises into the notebook: every failure becomes a sentence.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

LABELS = {"passed": "✅ correcto", "failed": "❌ incorrecto", "unsolved": "⏳ sin resolver",
          "error": "❌ error"}


@dataclass
class QuestionResult:
    """One visible test's verdict."""

    question: str
    points: float
    max_points: float
    status: str  # passed, failed, unsolved or error
    detail: str = ""
    now: bool = False  # run by the last cell (not recorded where the test cell ran)


@dataclass
class NotebookSource:
    """The notebook as the kernel could read it, and from where."""

    environment: str  # colab, vscode, jupyter or unknown
    notebook: dict | None = None
    path: str | None = None
    note: str = ""


@dataclass
class Report:
    """Everything the last cell prints."""

    assignment: str
    tests: list[QuestionResult]
    hidden_points: float
    source: NotebookSource
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)

    @property
    def visible_points(self) -> tuple[float, float]:
        return (sum(t.points for t in self.tests), sum(t.max_points for t in self.tests))


def _one_line(text: str, cap: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= cap else text[: cap - 1] + "…"


def visible_results(namespace: dict, tests: list, recorded: dict,
                    rerun: set[str] = frozenset()) -> list[QuestionResult]:
    """Each visible test's verdict: as last run in place (``selfcheck.RESULTS``), else, or
    when its cell was edited or deleted (ids in ``rerun``), by running the original now."""
    results = []
    for cell, question, points, src in tests:
        if question in recorded and cell not in rerun:
            status, detail = recorded[question]
            now = False
        else:
            status, detail = run_test(namespace, question, src)
            now = True
        got = float(points) if status == "passed" else 0.0
        results.append(QuestionResult(question, got, float(points), status, detail, now))
    return results


def run_test(namespace: dict, question: str, src: str) -> tuple[str, str]:
    """Run one test's original source in ``namespace``, strict, output captured."""
    from tlkit.grading.selfcheck import RESULTS, verdict

    previous = os.environ.get("TLKIT_CHECK_STRICT")
    record = RESULTS.get(question)
    os.environ["TLKIT_CHECK_STRICT"] = "1"
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(src, f"<prueba {question}>", "exec"), namespace)  # noqa: S102
    except Exception as exc:  # noqa: BLE001 - any error is the student's to see
        return verdict(exc)
    finally:
        if previous is None:
            os.environ.pop("TLKIT_CHECK_STRICT", None)
        else:
            os.environ["TLKIT_CHECK_STRICT"] = previous
        if record is None:  # the in-place record is the cell's, not this run's
            RESULTS.pop(question, None)
        else:
            RESULTS[question] = record
    return "passed", ""


def _environment(namespace: dict) -> str:
    if "google.colab" in sys.modules:
        return "colab"
    if namespace.get("__vsc_ipynb_file__"):
        return "vscode"
    if os.environ.get("JPY_SESSION_NAME") or "ipykernel" in sys.modules:
        return "jupyter"
    return "unknown"


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def read_own_notebook(namespace: dict, assignment: str) -> NotebookSource:
    """The running notebook's JSON, from the first place that answers (see module docstring)."""
    env = _environment(namespace)
    if env == "colab":
        try:
            from google.colab import _message  # type: ignore[import-not-found]

            reply = _message.blocking_request("get_ipynb", request="", timeout_sec=30)
            notebook = reply.get("ipynb") if isinstance(reply, dict) else None
            if isinstance(notebook, dict):
                return NotebookSource(env, notebook, note="el notebook abierto en Colab")
            note = "Colab no devolvió el notebook"
        except Exception as exc:  # noqa: BLE001 - the frontend may not answer
            note = f"Colab no devolvió el notebook ({type(exc).__name__})"
        return NotebookSource(env, note=note)
    candidates = []
    if namespace.get("__vsc_ipynb_file__"):
        candidates.append(Path(str(namespace["__vsc_ipynb_file__"])))
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb"):
        candidates += [Path(session), Path.cwd() / Path(session).name]
    candidates.append(Path.cwd() / f"{assignment}.ipynb")
    for path in candidates:
        try:
            if path.is_file():
                return NotebookSource(env, _read_json(path), str(path),
                                      note=f"la versión guardada de {path.name}")
        except (OSError, ValueError):
            continue
    renamed = _renamed_copy(assignment)
    if renamed is not None:
        return NotebookSource(env, _read_json(renamed), str(renamed),
                              note=f"la versión guardada de {renamed.name}")
    return NotebookSource(env, note="no encuentro el archivo del notebook")


def _renamed_copy(assignment: str) -> Path | None:
    """The newest notebook in the working folder whose metadata names this assignment."""
    try:
        found = sorted(Path.cwd().glob("*.ipynb"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return None
    for path in found[:20]:
        try:
            if (_read_json(path).get("metadata", {}).get("tlkit") or {}).get("assignment") == assignment:
                return path
        except (OSError, ValueError, AttributeError):
            continue
    return None


def _history(namespace: dict) -> list[str] | None:
    """The raw sources of the cells run in this IPython session, if there is one."""
    shell = namespace.get("get_ipython")
    try:
        history = shell().history_manager.input_hist_raw if callable(shell) else None
    except Exception:  # noqa: BLE001
        history = None
    history = history if history is not None else namespace.get("In")
    return list(history) if isinstance(history, list) else None


def _labels(cells: list) -> dict[str, str]:
    return {cid: f"«{label}»" for cid, _role, _sum, label in cells}


def check_integrity(notebook: dict, assignment: str, cells: list,
                    tests: list) -> tuple[list, list, list, set]:
    """Problems, warnings, notes, and the locked cells edited or deleted, for a notebook
    judged by the grader's own reading and matching."""
    from tlkit.grading.intake.solutions import Assignment, SolutionCell
    from tlkit.grading.intake.submission import read_submission
    from tlkit.grading.plan.matching import build_plan

    with tempfile.TemporaryDirectory(prefix="tlkit-entrega-") as folder:
        path = Path(folder) / f"{assignment}.ipynb"
        path.write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
        read = read_submission(path)
    if read.problem:
        return [f"El corrector rechazaría este notebook: {read.problem}."], [], [], set()
    questions = {cell: (question, points) for cell, question, points, _src in tests}
    solution_cells = [SolutionCell(id=cid, kind=role, source="", checksum=digest,
                                   question=questions.get(cid, (None, 0))[0],
                                   points=float(questions.get(cid, (None, 0))[1]))
                      for cid, role, digest, _label in cells]
    plan = build_plan(Assignment(assignment, path, solution_cells), read.cells)
    names = _labels(cells)

    def listed(ids):
        return ", ".join(names.get(i, i) for i in ids)

    problems, warnings, infos = [], [], []
    if plan.edited:
        problems.append(f"Has modificado celdas bloqueadas: {listed(plan.edited)}. Al corregir se "
                        "ejecutarán las originales y tus cambios en ellas no contarán: deshazlos.")
    if plan.deleted:
        problems.append(f"Faltan celdas bloqueadas (¿borradas?): {listed(plan.deleted)}. Vuelve a "
                        "copiarlas del ejercicio original, en su sitio.")
    if plan.missing_solutions:
        problems.append(f"No encuentro tus celdas de solución {listed(plan.missing_solutions)}: "
                        "contarán como no resueltas.")
    if plan.reordered:
        warnings.append("Las celdas están en otro orden que en el ejercicio: al corregir se "
                        "ejecutarán en el orden original.")
    if plan.by_position:
        warnings.append(f"{plan.by_position} celda(s) han perdido su identificador (¿copiaste el "
                        "código a otro notebook?): entrega el notebook del ejercicio.")
    meta = (read.metadata or {}).get("tlkit") or {}
    if meta.get("assignment") != assignment:
        warnings.append("El notebook ha perdido sus metadatos de tlkit: el corrector reconocerá "
                        f"el ejercicio solo por el nombre del archivo ({assignment}.ipynb).")
    if plan.extras:
        infos.append(f"Has añadido {plan.extras} celda(s): al corregir se ejecutan también, en su "
                     "sitio (que no tarden ni fallen).")
    return problems, warnings, infos, set(plan.edited) | set(plan.deleted)


def check_history(history: list[str], cells: list) -> tuple[list[str], set[str]]:
    """Warnings from the session history, and the locked cells not run unchanged in it."""
    from tlkit.grading.cells import checksum

    ran = {checksum(src) for src in history if isinstance(src, str)}
    missing = [cid for cid, role, digest, _label in cells if digest and digest not in ran]
    if not missing:
        return [], set()
    names = _labels(cells)
    return (["En esta sesión no se han ejecutado tal cual estas celdas bloqueadas (¿las has "
             "modificado, o no las has ejecutado?): " + ", ".join(names[i] for i in missing) +
             "."], set(missing))


def summarise(namespace: dict, assignment: str, *, hidden_points: float, cells: list,
              tests: list, source: NotebookSource | None = None,
              recorded: dict | None = None) -> Report:
    """Check the notebook and collect the visible tests' verdicts; never raises.

    ``recorded`` defaults to what ``check`` recorded in this kernel (``selfcheck.RESULTS``).
    """
    from tlkit.grading.selfcheck import RESULTS

    report = Report(assignment, [], float(hidden_points), source or NotebookSource("unknown"))
    untrusted: set[str] = set()
    if source is None:
        try:
            report.source = read_own_notebook(namespace, assignment)
        except Exception as exc:  # noqa: BLE001
            report.source = NotebookSource(_environment(namespace), note=type(exc).__name__)
    try:
        if report.source.notebook is not None:
            report.problems, report.warnings, report.infos, untrusted = check_integrity(
                report.source.notebook, assignment, cells, tests)
        else:
            history = _history(namespace)
            partial = (f"No he podido leer el notebook ({report.source.note}), así que la "
                       "revisión de celdas bloqueadas es parcial")
            if history is None:
                report.warnings.append(partial + ": comprueba tú que no has cambiado ni "
                                       "borrado ninguna celda bloqueada.")
            else:
                report.warnings.append(partial + ": solo miro lo que has ejecutado en esta "
                                       "sesión.")
                more, untrusted = check_history(history, cells)
                report.warnings += more
    except Exception as exc:  # noqa: BLE001 - a check must never end in a traceback
        report.warnings.append("No he podido revisar la integridad del notebook "
                               f"({type(exc).__name__}: {_one_line(exc, 80)}).")
    report.tests = visible_results(namespace, tests, RESULTS if recorded is None else recorded,
                                   untrusted)
    return report


def _number(value: float) -> str:
    return f"{value:g}"


def _table(tests: list[QuestionResult]) -> list[str]:
    header = ("Pregunta", "Puntos", "Estado", "Pendiente")
    body = [(t.question + ("*" if t.now else ""), f"{_number(t.points)} / {_number(t.max_points)}",
             LABELS.get(t.status, t.status), t.detail) for t in tests]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(3)]
    lines = []
    for row in [header, *body]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) +
                     "  " + row[3])
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 9)
    return [line.rstrip() for line in lines]


def hand_in_text(report: Report) -> list[str]:
    """Spanish instructions on what file to hand in and how, for the environment detected."""
    name = f"{report.assignment}.ipynb"
    colab = ("En Colab: Archivo → Descargar → Descargar .ipynb. Se descarga "
             f"«{name}» (si se llama «Copia de {name}», también vale).")
    jupyter = ("En Jupyter o VS Code: guarda (Ctrl+S) y entrega el archivo "
               f"«{report.source.path or name}» tal cual.")
    env = report.source.environment
    lines = ["📤 Qué entregar: este notebook completo, en formato .ipynb (no un PDF, ni un .py, "
             "ni un enlace a Drive)."]
    lines += [colab] if env == "colab" else [jupyter] if env in ("jupyter", "vscode") else [
        colab, jupyter]
    lines += [f"Conserva el nombre «{name}» y súbelo a la tarea del curso (en Moodle: "
              "«Agregar entrega»). Puedes volver a entregarlo mientras la tarea esté abierta."]
    return lines


def render(report: Report) -> str:
    """The text the last cell prints."""
    got, top = report.visible_points
    lines = [f"Comprobación final de {report.assignment}", ""] + _table(report.tests) + [""]
    lines.append(f"Pruebas visibles: {_number(got)} / {_number(top)} puntos.")
    if report.hidden_points:
        lines.append(f"Al corregir se ejecutan además pruebas ocultas que suman "
                     f"{_number(report.hidden_points)} punto(s) más (total del ejercicio: "
                     f"{_number(top + report.hidden_points)}); aquí no se pueden comprobar.")
    pending = [t.question for t in report.tests if t.status != "passed"]
    if pending:
        lines.append("Aún no pasan: " + ", ".join(pending) + ".")
    lines.append("Cada resultado es el de la última vez que se ejecutó la prueba en su sitio (*: "
                 "no se había ejecutado, o su celda cambió, y se ha ejecutado ahora). El "
                 "corrector ejecuta el notebook de arriba abajo: si has cambiado algo, ejecuta "
                 "todo (Colab: Entorno de ejecución → Ejecutar todas; Jupyter: Run → Run All "
                 "Cells) y después esta celda.")
    lines.append("")
    where = report.source.note
    lines.append(f"Revisión del notebook ({where}):" if report.source.notebook is not None
                 else "Revisión del notebook:")
    if report.source.notebook is not None and report.source.path:
        lines.append("  (si has cambiado algo después de guardar, guarda y vuelve a ejecutar "
                     "esta celda)")
    for text in report.problems:
        lines.append(f"  ❌ {text}")
    for text in report.warnings:
        lines.append(f"  ⚠️ {text}")
    for text in report.infos:
        lines.append(f"  ℹ️ {text}")
    if not (report.problems or report.warnings):
        lines.append("  ✅ Celdas bloqueadas intactas, nada borrado ni desordenado.")
    lines += [""] + hand_in_text(report)
    return "\n".join(lines)


def check_submission(namespace: dict, assignment: str, *, hidden_points: float = 0,
                     cells: list = (), tests: list = ()) -> None:
    """Print the student's summary before handing in (called by the exercise's last cell)."""
    try:
        text = render(summarise(namespace, assignment, hidden_points=hidden_points,
                                cells=list(cells), tests=list(tests)))
    except Exception as exc:  # noqa: BLE001 - never a traceback in the student's last cell
        text = (f"No he podido completar la comprobación final ({type(exc).__name__}: {exc}). "
                "Entrega igualmente el notebook .ipynb (Colab: Archivo → Descargar → "
                f"Descargar .ipynb) con el nombre «{assignment}.ipynb».")
    print(text, flush=True)
