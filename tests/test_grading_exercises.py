"""The real exercises through the grader: exercises/ is fresh, each solution scores full marks,
its generated exercise scores 0 without crashing the grader, and a partly solved one scores in
between; exercise 01's one-cell cheats earn nothing and exercise 04's usual mistakes are each
caught by their test. One grading run per exercise holds every submission these tests read
(``graded``): each run starts sandboxes and a warm kernel template, so a run per test repeated
that cost."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell

from tlkit.grading.authoring.assign import assign, build_exercise
from tlkit.grading.batch.run import grade
from tlkit.grading.cells import BEGIN, clear_source, source
from tlkit.grading.intake.solutions import solution_notebooks
from tlkit.grading.notebook_io import notebook_bytes, read_notebook
from tlkit.grading.options import GradeOptions
from tlkit.grading.sandbox.isolation import full_isolation_available

pytestmark = pytest.mark.kernel  # grades through sandboxed kernels (docs/grading.md)

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
NOTEBOOKS = solution_notebooks(SOLUTIONS) if SOLUTIONS.is_dir() else []


def test_exercises_are_fresh():
    """CI fails when exercises/ is stale: run ``make assign`` (tlkit assign solutions exercises)."""
    if not NOTEBOOKS:
        pytest.skip("no solution notebooks yet")
    report = assign(SOLUTIONS, EXERCISES, check=True)
    assert report.fresh, f"stale: {report.stale}, extra: {report.extra}; run `make assign`"


def _basic_class(solution: Path) -> dict[str, object]:
    """Who hands in what for the full-marks test: the solution, its exercise untouched, a
    student who solved every part but the last one (and, for 01, the step in inference mode)."""
    exercise = build_exercise(read_notebook(solution), solution.name)
    partial = read_notebook(solution)
    last = [c for c in partial["cells"] if c["cell_type"] == "code" and BEGIN in source(c)][-1]
    last["source"] = clear_source(source(last))
    notebooks = {"solucion": solution.read_bytes(), "sin-resolver": exercise, "a-medias": partial}
    if solution.stem.startswith("01"):  # partial credit: the step right, the model in inference
        wrong = read_notebook(solution)
        for cell in wrong["cells"]:
            if "def paso_entrenamiento" in source(cell):
                assert "training=True" in source(cell)
                cell["source"] = source(cell).replace("training=True", "training=False")
        notebooks["modo-inferencia"] = wrong
    return notebooks


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """``graded(solution)``: the rows of every student of that exercise's one grading run
    (``{student: rows}``), graded the first time a test asks. The class holds the full-marks
    test's students and the exercise's own variants (``VARIANTS``); one folder per student."""
    runs: dict[str, dict[str, list]] = {}

    def grade_exercise(solution: Path) -> dict[str, list]:
        if solution.stem not in runs:
            root = tmp_path_factory.mktemp(solution.stem)
            variants = VARIANTS.get(solution.stem)
            notebooks = {**_basic_class(solution), **(variants(solution) if variants else {})}
            for who, notebook in notebooks.items():
                (root / who).mkdir()
                (root / who / solution.name).write_bytes(
                    notebook if isinstance(notebook, bytes) else notebook_bytes(notebook))
            results = grade([root], SOLUTIONS, options=GradeOptions(
                # the CLI's default memory and process caps: they must fit the real exercises
                timeout_cell=300, timeout_total=900, jobs=2,
                isolation="full" if full_isolation_available() else "basic",
                # the shared warm cache pays off over a class; for these few notebooks only
                # 03 keeps it, to check end to end that its cached features grade the same
                warm_cache=solution.stem.startswith("03")))
            runs[solution.stem] = {r.submission.student: r.rows for r in results}
            assert set(runs[solution.stem]) == set(notebooks)
        return runs[solution.stem]

    return grade_exercise


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("solution", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_solution_full_marks_and_exercise_zero(solution, graded):
    inference = solution.stem.startswith("01")
    by = {who: rows for who, rows in graded(solution).items() if who in _basic_class(solution)}
    failed = [(r.question, r.status, r.reason) for r in by["solucion"]
              if r.status not in ("passed", "pending")]  # pending: written, graded by hand
    assert not any("tampered-runtime" in r.flags for rows in by.values() for r in rows)
    assert not failed, f"the solution does not pass its own tests: {failed}"
    assert sum(r.points for r in by["sin-resolver"]) == 0
    assert all(r.status in ("unsolved", "failed", "pending") for r in by["sin-resolver"]), \
        [(r.question, r.status, r.reason) for r in by["sin-resolver"]]
    full = sum(r.max_points for r in by["solucion"])
    partial_points = sum(r.points for r in by["a-medias"])
    assert 0 < partial_points < full, [(r.question, r.status, r.reason) for r in by["a-medias"]]
    if inference:
        parts = {r.part: r for r in by["modo-inferencia"] if r.question == "ej3_paso"}
        assert (parts["ej3_solo_entrenables"].points, parts["ej3_solo_entrenables"].status) == \
            (1, "passed")
        assert (parts["ej3_modo_entrenamiento"].points, parts["ej3_modo_entrenamiento"].status) \
            == (0, "failed")
        # Exercise 01's hidden tests ran before ej3: the row gives no student-chosen text
        # (issue #19), only the fixed sentence and this part's hint, which names the mistake.
        assert parts["ej3_modo_entrenamiento"].reason == (
            "el detalle lo ves al ejecutar la prueba en tu notebook. Pista: Calcula las "
            "predicciones en modo entrenamiento, como fit(): así la BatchNorm actualiza sus "
            "medias móviles.")
        written = [r for r in by["solucion"] if r.status == "pending"]
        assert [(r.question, r.max_points) for r in written] == [("ej4_cuantas_capas", 2)]
    if solution.stem.startswith("03"):  # 16 points, 2 of them written (graded by hand)
        written = [r for r in by["solucion"] if r.status == "pending"]
        assert [(r.question, r.max_points) for r in written] == [("ej4_por_que", 2)]
        assert full == 16, [(r.question, r.max_points) for r in by["solucion"]]


def _given_cell(notebook: Path, marker: str) -> str:
    cells = [source(c) for c in read_notebook(notebook)["cells"]
             if c["cell_type"] == "code" and marker in source(c)]
    assert len(cells) == 1, f"{notebook.name}: one code cell holds {marker!r}"
    return cells[0]


def test_exercise_03_given_accuracy_is_the_full_models_from_cached_features(tmp_path, monkeypatch):
    """The given cell of exercise 03 scores the head on the frozen base's (cached) features:
    the same number as the whole model over the photos, also after the base has changed."""
    torch = pytest.importorskip("torch")
    from tlkit.data.embedded_photos import embedded_images
    from tlkit.torch import (ImageDataset, build_classifier, cached_features, eval_transform,
                             freeze, make_loader, stored_size)
    from tlkit.torch import features as features_module

    monkeypatch.setenv("TLKIT_HOME", str(tmp_path / "home"))
    photos = embedded_images(size=48, n_train=2, n_val=6, announce=False)
    modelo = build_classifier("efficientnet_lite0", len(photos.classes))
    freeze(modelo.backbone)
    torch.manual_seed(0)
    torch.nn.init.normal_(modelo.head.weight, std=0.5)  # a head with spread-out predictions
    validacion = ImageDataset(photos.val, stored_size(40), eval_transform(40, modelo.normalization))
    carga_val = make_loader(validacion, 8, device="cpu")
    cached_features(modelo.backbone, carga_val, progress=False)  # what the solution's cell 3 did
    extracted = []
    real = features_module.extract_features
    monkeypatch.setattr(features_module, "extract_features",
                        lambda *a, **k: extracted.append(1) or real(*a, **k))
    names = {"torch": torch, "cached_features": cached_features, "modelo": modelo,
             "carga_val": carga_val}
    exec(_given_cell(SOLUTIONS / "03_fine_tuning_pytorch.ipynb", "acc_val ="), names)
    assert not extracted, "the given cell read the cached features"
    whole = names["precision"](modelo, carga_val)  # the whole model over the photos
    assert 0 < names["acc_val"] == whole < 1, (names["acc_val"], whole)
    with torch.no_grad():  # a student who trained the base: computed again, honestly
        for p in modelo.backbone.parameters():
            p.mul_(1.5)
    again = names["precision_de_la_cabeza"](modelo, carga_val)
    assert extracted and again == names["precision"](modelo, carga_val)
    # A student who forges the cache file (features that make any head look right): the spot
    # check through the whole model catches it and the whole model is evaluated instead.
    key = features_module.fingerprint(modelo.backbone, carga_val)
    forged_path = tmp_path / "home" / "features" / f"{key}.pt"
    labels = torch.tensor([label for _, label in validacion])
    forged = torch.zeros(len(labels), modelo.num_features)
    with torch.no_grad():
        modelo.head.weight.zero_()
        modelo.head.bias.zero_()
        modelo.head.weight[torch.arange(len(photos.classes)), torch.arange(len(photos.classes))] = 1
    forged[torch.arange(len(labels)), labels] = 10.0  # the head now "predicts" every label
    features_module.save_checkpoint({"features": forged, "labels": labels}, forged_path)
    extracted.clear()
    honest = names["precision"](modelo, carga_val)
    assert names["precision_de_la_cabeza"](modelo, carga_val) == honest < 1


MISTAKES_04 = {
    # returns the last epoch's weights instead of the best one's
    "ultimo": ('    modelo.load_state_dict(mejor["pesos"])\n', ""),
    # resumes the model but not the optimizer: SGD's momentum starts from zero
    "sin-optimizador": ('        optimizador.load_state_dict(punto["optimizador"])\n', ""),
    # keeps the best model's state_dict without copying it: training goes on changing it
    "sin-copia": ('copy.deepcopy(modelo.state_dict())', 'modelo.state_dict()'),
    # resumes the history but forgets the best model from before the interruption
    "olvida-el-mejor": ('historial, mejor = punto["historial"], punto["mejor"]',
                        'historial = punto["historial"]'),
}


def _edited(solution: Path, edits: dict[str, list[tuple[str, str]]]) -> dict[str, object]:
    """One notebook per student: the solution with each (old, new) replaced in the one code cell
    holding ``old``."""
    notebooks = {}
    for who, pairs in edits.items():
        notebook = read_notebook(solution)
        for old, new in pairs:
            cells = [c for c in notebook["cells"] if c["cell_type"] == "code" and old in source(c)]
            assert len(cells) == 1, f"{who}: {len(cells)} cells hold {old[:40]!r}: update the edit"
            cells[0]["source"] = source(cells[0]).replace(old, new)
        notebooks[who] = notebook
    return notebooks


def _mistakes_04(solution: Path) -> dict[str, object]:
    return _edited(solution, {who: [pair] for who, pair in MISTAKES_04.items()})


@pytest.mark.slow
@pytest.mark.notebook
def test_exercise_04_hidden_tests_catch_the_usual_mistakes(graded):
    """Exercise 04's tests train a tiny network: they must still tell a correct loop from the
    usual mistakes, each caught by the test made for it (graded with the exercise's class)."""
    by = graded(SOLUTIONS / "04_entrenar_a_mano.ipynb")
    results = {who: by[who] for who in MISTAKES_04}
    # every test graded: an error row is the grader's fault (a full-suite run once had one for
    # "sin-copia": two threads parsing test cells at once, see tlkit/grading/syntax.py)
    ungraded = [(who, row.question, row.status, row.reason) for who, rows in results.items()
                for row in rows if row.status not in ("passed", "failed")]
    assert not ungraded, ungraded
    failed = {who: {row.question for row in rows if row.status == "failed"}
              for who, rows in results.items()}
    # the visible check makes the last epoch not the best one, so it catches these two itself
    assert failed["ultimo"] == {"ej2_bucle", "ej2_oculto"}, failed
    # the kept "best" weights are the live ones: the final model is the last epoch's (as for
    # "ultimo"), and after resuming it is the checkpoint's copy, not the uninterrupted run's
    assert failed["sin-copia"] == {"ej2_bucle", "ej2_oculto", "ej3_oculto"}, failed
    assert failed["olvida-el-mejor"] == {"ej3_oculto"}, failed
    # without the momentum the resumed run also differs from the uninterrupted one
    assert failed["sin-optimizador"] == {"ej3_reanudar", "ej3_oculto"}, [
        (row.question, row.status, row.reason) for row in results["sin-optimizador"]]


# Exercise 03, part 4 (fine-tuning: what the base's BatchNorm layers do). The solution's lines,
# and what each usual mistake or honest alternative writes instead.
PREPARE_03 = """    for p in modelo.parameters():
        p.requires_grad = True
    for capa in modelo.backbone.modules():
        if isinstance(capa, nn.BatchNorm2d):
            capa.__class__ = BatchNormInferencia  # la misma capa (pesos y estadísticas), otro train()
            capa.eval()
            for p in capa.parameters():
                p.requires_grad = False
"""
APPLY_03 = """preparar_para_afinar(modelo_afinado)
optimizador_afinado = torch.optim.Adam([
    {"params": [p for p in modelo_afinado.backbone.parameters() if p.requires_grad], "lr": 1e-4},
    {"params": modelo_afinado.head.parameters(), "lr": 1e-3},
])
"""
UNFREEZE_03 = """    for p in modelo.parameters():
        p.requires_grad = True
"""
MISTAKES_03 = {
    # unfreezes everything: the BatchNorm layers re-estimate their statistics on every batch
    "bn-entrenando": [(PREPARE_03, UNFREEZE_03)],
    # eval() on each BatchNorm, which the training loop's model.train() undoes
    "bn-eval-a-secas": [(PREPARE_03, UNFREEZE_03 + """    for capa in modelo.backbone.modules():
        if isinstance(capa, nn.BatchNorm2d):
            capa.eval()
            for p in capa.parameters():
                p.requires_grad = False
""")],
    # "in inference" taken for "frozen": the base and the head stay frozen
    "todo-congelado": [(UNFREEZE_03, UNFREEZE_03.replace("True", "False"))],
    # the optimizer built from the trainable parameters before unfreezing: it holds the head only
    "optimizador-antes": [(APPLY_03, APPLY_03.replace("preparar_para_afinar(modelo_afinado)\n", "")
                           + "preparar_para_afinar(modelo_afinado)\n")],
}
HONEST_03 = {
    # new layers in place of the old ones (state copied), their weight and bias trained (fastai's
    # way), and the optimizer over every parameter through exercise 2's groups
    "capas-nuevas": [(PREPARE_03, UNFREEZE_03 + """    for padre in list(modelo.backbone.modules()):
        for nombre, hija in list(padre.named_children()):
            if isinstance(hija, nn.BatchNorm2d):
                nueva = BatchNormInferencia(hija.num_features, eps=hija.eps, momentum=hija.momentum)
                nueva.load_state_dict(hija.state_dict())
                setattr(padre, nombre, nueva.eval())
"""), (APPLY_03, """preparar_para_afinar(modelo_afinado)
optimizador_afinado = torch.optim.Adam(grupos_de_parametros(modelo_afinado, 1e-4, 1e-3))
""")],
    # torchvision's FrozenBatchNorm2d: statistics, weight and bias as buffers, no training mode
    "frozen-torchvision": [(PREPARE_03, "    from torchvision.ops import FrozenBatchNorm2d\n" + UNFREEZE_03 + """    for padre in list(modelo.backbone.modules()):
        for nombre, hija in list(padre.named_children()):
            if isinstance(hija, nn.BatchNorm2d):
                nueva = FrozenBatchNorm2d(hija.num_features, eps=hija.eps)
                nueva.load_state_dict(hija.state_dict(), strict=False)
                setattr(padre, nombre, nueva)
""")],
}


def _fine_tuning_03(solution: Path) -> dict[str, object]:
    return _edited(solution, {**MISTAKES_03, **HONEST_03})


@pytest.mark.slow
@pytest.mark.notebook
def test_exercise_03_fine_tuning_tests_catch_the_usual_mistakes(graded):
    """Exercise 03's part 4 grades the mechanism of fine-tuning with the base's BatchNorm layers
    in inference: each usual mistake loses exactly the tests made for it, and honest students who
    do it another way get every point, unflagged (graded with the exercise's class)."""
    everyone = graded(SOLUTIONS / "03_fine_tuning_pytorch.ipynb")
    by = {who: everyone[who] for who in {**MISTAKES_03, **HONEST_03}}
    failed = {who: {(row.question, row.part) for row in rows if row.status == "failed"}
              for who, rows in by.items()}
    detail = {who: [(row.question, row.part, row.status, row.reason) for row in rows
                    if row.status not in ("passed", "pending")] for who, rows in by.items()}
    assert not any("tampered-runtime" in row.flags for rows in by.values() for row in rows), detail
    assert all(row.status in ("passed", "failed", "pending") for rows in by.values() for row in rows), detail
    in_training = {("ej4_afinar", "ej4_bn_inferencia"), ("ej4_oculto", "")}
    assert failed["bn-entrenando"] == in_training, detail
    assert failed["bn-eval-a-secas"] == in_training, detail
    assert failed["todo-congelado"] == {("ej4_afinar", "ej4_entrenables"), ("ej4_oculto", "")}, detail
    assert failed["optimizador-antes"] == {("ej4_oculto", "")}, detail
    for who in HONEST_03:
        assert not detail[who], (who, detail[who])
        assert sum(r.points for r in by[who]) == 14, who  # all but the answer graded by hand


# One-cell cheats added (as an extra cell) to the untouched exercise 01: each aims at what used to
# decide verdicts in the student's kernel. Expected: 0 points (the honest work is none) and
# `tampered-runtime` exactly where the cheat changed what the kernel reported (issue #19).
CHEATS_01 = {
    "mover-objetivo": (True, "s01-06", """import numpy as np
np.array_equal = lambda *args, **kwargs: True
conv_sin_cambios = True
N_OBJETIVO = sum(int(np.prod(w.shape)) for w in modelo.trainable_weights)
"""),
    "float-tramposo": (True, "s01-15", """import numpy as np
class _Siempre(float):
    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __hash__ = float.__hash__
np.array_equal = lambda *args, **kwargs: True
def paso_entrenamiento(modelo, optimizador, perdida, x_lote, y_lote):
    return _Siempre(0.5)
"""),
    "respuesta-falsa": (True, "s01-06", """from IPython.core.interactiveshell import ExecutionResult
ExecutionResult.success = property(lambda self: True)
ExecutionResult.raise_error = lambda self: None
"""),
    "check-envuelto": (False, "s01-06", """import contextlib, functools
import tlkit.grading, tlkit.grading.selfcheck as _s
@functools.wraps(_s.check)
@contextlib.contextmanager
def _falso(*args, **kwargs):
    try:
        yield
    except Exception:
        pass
_s.check = tlkit.grading.check = check = _falso
"""),
}


def _cheats_01(solution: Path) -> dict[str, object]:
    exercise = build_exercise(read_notebook(solution), solution.name)
    notebooks = {}
    for name, (_, after, code) in CHEATS_01.items():
        nb = copy.deepcopy(exercise)
        at = next(i for i, c in enumerate(nb.cells) if c.get("id") == after)
        nb.cells.insert(at + 1, new_code_cell(code, id=f"trampa-{name}"))
        notebooks[name] = nb
    return notebooks


# What each exercise's grading run holds besides the full-marks test's students.
VARIANTS = {"01_congelar_y_entrenar": _cheats_01, "03_fine_tuning_pytorch": _fine_tuning_03,
            "04_entrenar_a_mano": _mistakes_04}


@pytest.mark.slow
@pytest.mark.notebook
def test_cheats_on_exercise_01_earn_nothing(graded):
    by = graded(SOLUTIONS / "01_congelar_y_entrenar.ipynb")
    for name, (flagged, _, _) in CHEATS_01.items():
        rows = by[name]
        assert sum(r.points for r in rows) == 0, (name, [(r.question, r.status) for r in rows])
        assert any("tampered-runtime" in r.flags for r in rows) == flagged, name
