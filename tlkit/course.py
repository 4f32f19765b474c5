"""The course manifest: the repository, the lessons, their cost and needs (one place for each).

The README's lessons table and the notebooks' Colab install line are generated from / checked
against this module (``tlkit readme-table``; tests/test_course.py).
"""

from __future__ import annotations

from dataclasses import dataclass

# The one place the repository's address lives. Change it here, then run `tlkit readme-table`.
REPOSITORY = "tlkit-course/tlkit"
BRANCH = "main"


@dataclass(frozen=True)
class Lesson:
    """A lesson notebook and what it costs to run (STYLE 9: keep the fast profile honest)."""

    notebook: str  # path in the repository
    title: str  # Spanish, as in the notebook
    framework: str
    fast_minutes: float  # upper bound measured here: fast profile, offline, 2 CPU cores
    full_needs: str  # what the full profile wants


LESSONS = (
    Lesson("notebooks/00_que_es_transfer_learning.ipynb", "¿Qué es el transfer learning?",
           "—", 0.2, "nada especial"),
    Lesson("notebooks/01_trainable_y_compile.ipynb", "Keras: `trainable`, `compile` y fine-tuning",
           "Keras", 2, "GPU recomendada; pesos ImageNet (Xception) y tf_flowers en línea"),
    Lesson("notebooks/02_guardar_cargar_reutilizar.ipynb", "Keras: guardar, cargar y reutilizar (MNIST → EMNIST)",
           "Keras", 2, "GPU recomendada; EMNIST (562 MB) y pesos ResNet50 en línea"),
    Lesson("notebooks/03_keras_datos_y_callbacks.ipynb", "Keras: datos con `tf.data`, pérdidas y callbacks",
           "Keras", 1, "GPU recomendada; pesos ImageNet (Xception) y tf_flowers en línea"),
    Lesson("notebooks/04_pytorch_a_mano.ipynb", "PyTorch a mano: `Dataset`, ResNet, bucle, checkpoints y `StepLR`",
           "PyTorch", 0.5, "GPU recomendada; pesos ResNet-18 de torchvision y tf_flowers en línea"),
    Lesson("notebooks/05_resnet_fine_tuning.ipynb", "PyTorch: ResNet fine-tuning de cinco maneras",
           "PyTorch", 2, "GPU recomendada; pesos ResNet de torchvision y tf_flowers en línea"),
)
EXERCISES = (
    "exercises/01_congelar_y_entrenar.ipynb",
    "exercises/02_reutilizar_mnist_emnist.ipynb",
    "exercises/03_fine_tuning_pytorch.ipynb",
    "exercises/04_entrenar_a_mano.ipynb",
)


def github_url(path: str = "") -> str:
    """The repository's web address, or a file's in the main branch."""
    base = f"https://github.com/{REPOSITORY}"
    return f"{base}/blob/{BRANCH}/{path}" if path else base


def colab_url(path: str) -> str:
    """The Open-in-Colab address of a notebook in the main branch."""
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{path}"


def pip_spec(extras: str = "torch,keras") -> str:
    """What the notebooks' first cell installs in Colab."""
    return f"tlkit[{extras}] @ git+https://github.com/{REPOSITORY}"


def badge(path: str) -> str:
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(path)})")


def readme_table() -> str:
    """The Markdown lessons table of the README."""
    rows = ["| lesson | framework | fast profile here | full profile needs | Colab |",
            "| --- | --- | --- | --- | --- |"]
    for lesson in LESSONS:
        name = lesson.notebook.rsplit("/", 1)[-1]
        rows.append(f"| [{lesson.title}]({lesson.notebook}) (`{name}`) | {lesson.framework} | "
                    f"≤ {lesson.fast_minutes:g} min | {lesson.full_needs} | {badge(lesson.notebook)} |")
    for path in EXERCISES:
        name = path.rsplit("/", 1)[-1]
        rows.append(f"| Ejercicio [`{name}`]({path}) | — | ≤ 1 min | — | {badge(path)} |")
    return "\n".join(rows)


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser("readme-table", help="print the README's lessons table")
    parser.set_defaults(func=lambda args: print(readme_table()))
