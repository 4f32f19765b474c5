"""The notebooks' setup cell: generated from the course address, found again after any edit.

The cell's first part is generated (between two marker comments) from ``tlkit.course``: on Colab
it installs tlkit at the course's ref and only what Colab lacks (``course.COLAB_PACKAGES``, with
``--no-deps``, so nothing Colab has changes), and says in Spanish what it installed; elsewhere it
does nothing. Before an instructor publishes the course it stops with a Spanish message saying
what to do instead of failing inside pip or git. The rest of the cell is the notebook's own
(usually ``from tlkit import config`` and a print) and is kept as it is.

The cell is found by its metadata (``metadata.tlkit.setup``), else by the first marker line, else
by the install line of the cells written before this module existed, so a rewrite still finds
it after other people edited the notebook or Colab dropped its metadata.
"""

from __future__ import annotations

import copy

from tlkit import config, course

META = "tlkit"
TITLE = "#@title Preparación del entorno: ejecuta esta celda primero"
BEGIN = "# tlkit: preparación del entorno (generada por `tlkit sync-setup-cells`; no la edites)"
END = "# tlkit: fin de la preparación generada"
# What follows the generated part in a new setup cell: nothing (the generated part already
# imports ``config`` and says what it found). LEGACY_TAILS, the tails the generator wrote before
# it did so, are dropped on the next sync.
DEFAULT_TAIL = ""
LEGACY_TAILS = ("from tlkit import config\n\nprint(config.settings(with_device=False))",
                "from tlkit import config\n\nprint(config.settings())")
SAVE_A_COPY = ("Antes de trabajar: Archivo → Guardar una copia en Drive (este cuaderno es de solo "
               "lectura y Colab lo borra al reciclar el entorno: sin copia perderías tu trabajo).")
NOT_ON_COLAB = "No estás en Colab: no hace falta instalar nada."


def _literal(text: str, indent: str) -> str:
    """``text`` as a parenthesised Python string of short lines (implicit concatenation)."""
    import textwrap

    parts = textwrap.wrap(text, 80 - len(indent), drop_whitespace=False)
    return f"\n{indent}".join(repr(p) for p in parts)


def _names(packages) -> str:
    return ", ".join(p.replace("==", " ") for p in packages)


def setup_code(repository: str | None = None, ref: str | None = None) -> str:
    """The generated part of the setup cell for the course at ``repository``/``ref``.

    A Colab form (``#@title``; the cell's metadata folds it), short and Spanish: it says what
    it did, asks a Colab student to save a copy first, sets before any import what must be set
    then (:data:`tlkit.config.KERNEL_ENV`), and ends with :func:`tlkit.config.announce` (profile, and a hint when the ``full``
    profile finds no GPU).
    """
    repository, ref = repository or course.REPOSITORY, ref or course.REF
    if not course.published(repository):
        colab = f'''    raise SystemExit(
        "Este curso aún no tiene una dirección publicada, así que esta celda no puede instalar "
        "tlkit en Colab. Avisa a tu profesor: debe hacer un fork del repositorio de tlkit y "
        "publicarlo con `tlkit publish --repo USUARIO/REPOSITORIO --ref ETIQUETA` (README, "
        "sección «For instructors»). En tu ordenador, con el entorno del curso, funciona sin más.")'''
    else:
        packages = [f"tlkit @ {course.archive_url(repository, ref)}", *course.COLAB_PACKAGES]
        colab = f'''    import importlib
    import subprocess

    print({_literal(SAVE_A_COPY, '          ')})
    _pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",{"".join(f'{chr(10)}                           "{p}",' for p in packages)}
                          ], capture_output=True, text=True)
    if _pip.returncode:
        raise SystemExit(
            "No se pudo instalar tlkit desde {course.github_url(repository=repository)} (versión "
            "{ref}). ¿Es público el repositorio y existe esa etiqueta? Avisa a tu profesor. pip dijo:\\n"
            + _pip.stderr[-1500:])
    importlib.invalidate_caches()
    print("Colab: instalado tlkit ({repository} @ {ref}) y lo que Colab no trae "
          "({_names(course.COLAB_PACKAGES)}); nada de lo que Colab ya tiene ha cambiado.")'''
    env = "\n".join(f'os.environ.setdefault("{name}", "{value}")  # {why}'
                    for name, (value, why) in config.KERNEL_ENV.items())
    return f'''{TITLE}
{BEGIN}
import os
import sys

{env}
if "google.colab" in sys.modules:
{colab}
else:
    print("{NOT_ON_COLAB}")

from tlkit import config

config.announce()
{END}'''


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _is_legacy(cell) -> bool:
    src = _source(cell)
    return "google.colab" in src and "pip install" in src and "tlkit" in src


def find_setup_cell(nb) -> int | None:
    """Index of the notebook's setup cell (metadata, then marker, then old install line)."""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"]
    for test in (lambda c: (c.get("metadata") or {}).get(META, {}).get("setup") is True,
                 lambda c: BEGIN in _source(c),
                 _is_legacy):
        for index, cell in code:
            if test(cell):
                return index
    return None


def _tail(src: str) -> str:
    """The notebook's own part of a setup cell (what follows the generated part)."""
    if END in src:
        return src.split(END, 1)[1].strip("\n")
    lines = src.splitlines()
    for i, line in enumerate(lines):  # a cell from before the markers: after its %pip line
        if "pip install" in line:
            return "\n".join(lines[i + 1:]).strip("\n")
    return src.strip("\n")


def sync_setup_cell(nb, repository: str | None = None, ref: str | None = None):
    """A copy of ``nb`` whose setup cell is the generated one (added when missing)."""
    from nbformat.v4 import new_code_cell

    nb = copy.deepcopy(nb)
    index = find_setup_cell(nb)
    if index is None:
        cell = new_code_cell(DEFAULT_TAIL)
        cell["id"] = "tlkit-setup"
        if any(c.get("id") == cell["id"] for c in nb.cells):
            raise ValueError("a cell already has the id 'tlkit-setup' but is no setup cell")
        index = next((i for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"),
                     len(nb.cells))
        nb.cells.insert(index, cell)
    cell = nb.cells[index]
    tail = _tail(_source(cell))
    tail = "" if tail in LEGACY_TAILS else tail
    cell["source"] = setup_code(repository, ref) + (f"\n\n{tail}" if tail else "")
    cell.setdefault("metadata", {}).setdefault(META, {})["setup"] = True
    cell["metadata"]["cellView"] = "form"  # Colab shows the title, the code folded
    cell["outputs"], cell["execution_count"] = [], None
    cell["metadata"].pop("execution", None)  # timing noise of an earlier run
    return nb
