"""A student's road through the exercises: one kernel, cells run one at a time, edits between runs.

What the checks say to a student who runs a check before solving, fixes a cell without running
the notebook again from the top (the kernel keeps what the old version did), or keeps the best
model without copying its weights. Cells come from the generated ``exercises/`` notebooks; the
student's code from ``solutions/`` (and its typical mistakes, written here). The kernel runs as
a student's does: no ``TLKIT_CHECK_STRICT``, so a check prints its verdict instead of raising.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("keras")
pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.notebook]


class Student:
    """A Jupyter kernel a test types into, cell by cell; :meth:`run` returns what it printed."""

    def __init__(self, workdir: Path):
        from jupyter_client import KernelManager

        env = {k: v for k, v in os.environ.items() if k != "TLKIT_CHECK_STRICT"}
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(workdir), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str) -> str:
        """What the cell showed as text; its rich outputs (each a mimetype → data bundle) are
        kept in ``self.displayed``."""
        printed, self.displayed = [], []

        def hook(msg):
            if msg["msg_type"] == "stream":
                printed.append(msg["content"]["text"])
            elif msg["msg_type"] == "display_data":
                self.displayed.append(msg["content"]["data"])
                printed.append(msg["content"]["data"].get("text/plain", ""))
            elif msg["msg_type"] == "error":
                printed.append(f"{msg['content']['ename']}: {msg['content']['evalue']}\n")

        self.client.execute_interactive(code, output_hook=hook, timeout=600)
        return "".join(printed)

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture
def student(tmp_path):
    kernel = Student(tmp_path)
    yield kernel
    kernel.close()


def _cells(path: str) -> list[str]:
    return [c.source for c in nbformat.read(ROOT / path, as_version=4).cells if c.cell_type == "code"]


def _cell(cells: list[str], start: str) -> str:
    (found,) = [c for c in cells if c.startswith(start)]
    return found


def test_exercise_01_checks_say_unsolved_then_point_at_stale_state(student):
    cells = _cells("exercises/01_congelar_y_entrenar.ipynb")
    solved = _cells("solutions/01_congelar_y_entrenar.ipynb")
    check1, check2 = _cell(cells, 'with check("ej1_congelar"'), _cell(cells, 'with check("ej2_recompilar"')
    for code in cells[:3]:  # setup, imports, the model
        student.run(code)

    # Checked before solving: the exercise cell stops at its NotImplementedError.
    assert "NotImplementedError" in student.run(_cell(cells, "N_OBJETIVO = 43_626"))
    assert "⏳ ej1_congelar: aún no has resuelto" in student.run(check1)

    # Case 1: a wrong layer frozen, then the line replaced; the kernel keeps 'oculta' frozen.
    student.run('N_OBJETIVO = 43_626\nmodelo.get_layer("oculta").trainable = False')
    assert "❌ ej1_congelar" in student.run(check1)
    student.run('N_OBJETIVO = 43_626\nmodelo.get_layer("conv").trainable = False')
    said = student.run(check1)
    assert "❌ ej1_congelar" in said and "congeladas de más" in said
    assert "ejecuta de nuevo desde el principio" in said

    # From the top again (model cell, exercise 1 solved), then case 2: trained before compile().
    student.run(cells[2])
    student.run(_cell(solved, "N_OBJETIVO = 43_626"))
    assert "✅ ej1_congelar" in student.run(check1)
    student.run(_cell(cells, "referencia = "))
    ej2 = _cell(solved, "### BEGIN SOLUTION\nmodelo.compile(").replace("### BEGIN SOLUTION\n", "")
    without_compile = ej2.split("conv_antes =", 1)[1]
    student.run("conv_antes =" + without_compile)
    assert "❌ ej2_recompilar" in student.run(check2)
    student.run(ej2)  # compile() added: this run leaves conv alone, the earlier one did not
    said = student.run(check2)
    assert "❌ ej2_recompilar" in said and "ejecución anterior" in said and "¿recompilaste" not in said

    # The last cell, run now: one rich output, the HTML table and the same report as text.
    said = student.run(cells[-1])
    (report,) = student.displayed
    assert "<table" in report["text/html"] and report["text/plain"] == said
    assert "Pruebas visibles: 2 / 6 puntos." in said and "❌ incorrecto" in said
    assert "ej3_paso · ej3_solo_entrenables*" in said  # never run in place: run now


def test_exercise_04_visible_check_catches_the_best_model_kept_without_a_copy(student):
    cells = _cells("exercises/04_entrenar_a_mano.ipynb")
    solved = _cells("solutions/04_entrenar_a_mano.ipynb")
    for code in cells[:2]:
        student.run(code)
    student.run(_cell(solved, "def cambiar_cabeza("))
    student.run(_cell(cells, "class RedMini("))
    loop = _cell(solved, "def entrenar(")
    check2 = _cell(cells, 'with check("ej2_bucle"')

    student.run(loop.replace("copy.deepcopy(modelo.state_dict())", "modelo.state_dict()"))
    said = student.run(check2)
    assert "❌ ej2_bucle" in said and "copy.deepcopy" in said, said
    student.run(loop)
    assert "✅ ej2_bucle" in student.run(check2)


def test_exercise_03_fine_tuning_check_catches_eval_undone_by_train(student):
    """Part 4 of exercise 03: a student who freezes the base's BatchNorm with eval() (as their
    ``congelar`` of part 1 did) is told that model.train() put them back in training mode."""
    cells = _cells("exercises/03_fine_tuning_pytorch.ipynb")
    solved = _cells("solutions/03_fine_tuning_pytorch.ipynb")
    for code in cells[:2]:  # setup, imports, data and the model
        student.run(code)
    student.run(_cell(cells, "import copy"))
    check4 = _cell(cells, 'with check("ej4_afinar"')

    exercise = _cell(cells, "# TU CÓDIGO AQUÍ\nraise NotImplementedError()\n\n\ndef preparar_para_afinar(")
    assert "NotImplementedError" in student.run(exercise)
    assert "⏳ ej4_afinar: aún no has resuelto" in student.run(check4)

    prepare = _cell(solved, "### BEGIN SOLUTION\nclass BatchNormInferencia(")
    swap = "            capa.__class__ = BatchNormInferencia"
    assert swap in prepare
    with_eval_only = "".join(line for line in prepare.splitlines(keepends=True) if not line.startswith(swap))
    student.run(with_eval_only)
    said = student.run(check4)
    assert "✅ ej4_entrenables" in said and "❌ ej4_bn_inferencia" in said, said
    assert "normalizan con la media y la varianza del lote" in said and "train()" in said, said
    student.run(prepare)  # the layer itself keeps its state; checks build fresh models each time
    said = student.run(check4)
    assert "✅ ej4_afinar: 2 de 2 puntos" in said and "ejecuta de nuevo" not in said, said
