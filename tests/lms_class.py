"""A small class as Moodle's "Descargar todas las entregas" and Canvas' "Download Submissions"
zips name it, for the end-to-end tests of the example assignment (00_ejemplo).

Nine students, one per thing a real class hands in: accents and spaces, two students with the
same name and different ids, a late one, two uploads (the newer wins), a ``.py``, an untouched
exercise, a JSON cut in half, an edited locked cell, an infinite loop, another exercise, an
empty folder; most notebooks saved by Colab ("Copia de …", nbformat 4.0, no cell ids).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from colab_saved import colab_saved

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
SUBS = FIXTURES / "submissions"
EXERCISE_01 = Path(__file__).resolve().parents[1] / "exercises" / "01_congelar_y_entrenar.ipynb"
A = "00_ejemplo"


def _sub(name: str) -> bytes:
    return (SUBS / f"submission-{name}.ipynb").read_bytes()


def _colab(name: str, keep_cell_metadata: bool = True) -> bytes:
    return colab_saved(_sub(name), f"{A}.ipynb", keep_cell_metadata=keep_cell_metadata).encode()


def _edited_locked() -> bytes:
    data = json.loads(_sub("correct"))
    for cell in data["cells"]:
        if "".join(cell["source"]).startswith("DATOS ="):
            cell["source"] = "DATOS = [1, 2, 3]  # lo cambié"
    return json.dumps(data).encode()


# (name, id, expected status in the wide gradebook, what they handed in: file -> (bytes, time))
STUDENTS = [
    ("Ana Pérez García", "101", "graded",
     {f"Copia de {A}.ipynb": (_colab("correct"), (2026, 3, 1, 10, 0, 0))}),
    ("Ana Pérez García", "108", "timeout",  # a namesake: stays a different student
     {f"{A}.ipynb": (_sub("infinite-loop"), (2026, 3, 1, 11, 0, 0))}),
    ("José Luis Núñez", "102", "graded",  # late (Canvas marks it; Moodle's worksheet does)
     {f"{A}.ipynb": (_colab("partial", keep_cell_metadata=False), (2026, 3, 3, 23, 0, 0))}),
    ("María José Ruiz", "103", "graded",  # two uploads: the newer, "(1)", is the right one
     {f"{A}.ipynb": (_sub("partial"), (2026, 3, 1, 9, 0, 0)),
      f"{A} (1).ipynb": (_sub("correct"), (2026, 3, 1, 20, 0, 0))}),
    ("Luis Gómez", "104", "invalid",
     {f"{A}.py": (b"def suma_cuadrados(numeros):\n    return 0\n", (2026, 3, 1, 8, 0, 0))}),
    ("Iñaki O'Neil", "105", "graded",  # untouched: every question unsolved
     {f"Copia de {A}.ipynb": (_colab("unsolved"), (2026, 3, 1, 8, 0, 0))}),
    ("Carmen Díaz", "106", "invalid",
     {f"{A}.ipynb": (_sub("correct")[:700], (2026, 3, 1, 8, 0, 0))}),
    ("Pau i Solé", "107", "graded",
     {f"{A}.ipynb": (_edited_locked(), (2026, 3, 1, 8, 0, 0))}),
    ("Marta López", "109", "wrong-assignment",
     {"01_congelar_y_entrenar.ipynb": (EXERCISE_01.read_bytes(), (2026, 3, 1, 8, 0, 0))}),
]
EMPTY = ("Pedro Vacío", "110")  # Moodle: a folder with nothing in it


def moodle_zip(path: Path) -> Path:
    """``Nombre Apellidos_<participant id>_assignsubmission_file_/<file>`` per upload."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, sid, _, files in STUDENTS:
            for filename, (data, when) in files.items():
                info = zipfile.ZipInfo(f"{name}_{sid}_assignsubmission_file_/{filename}", when)
                archive.writestr(info, data)
        archive.writestr(zipfile.ZipInfo(f"{EMPTY[0]}_{EMPTY[1]}_assignsubmission_file_/"), b"")
        archive.writestr(f"{STUDENTS[0][0]}_{STUDENTS[0][1]}_assignsubmission_onlinetext_/"
                         "onlinetext.html", b"<p>hola</p>")
    return path


def _squeezed(name: str) -> str:
    import unicodedata

    first, *rest = name.split()
    text = unicodedata.normalize("NFKD", "".join(rest) + first).encode("ascii", "ignore")
    return "".join(ch for ch in text.decode().lower() if ch.isalnum())


def canvas_zip(path: Path) -> Path:
    """``<sortable name squeezed>[_late]_<user id>_<attachment id>_<file>``; Canvas renames a
    re-uploaded file ``<name>-1``."""
    with zipfile.ZipFile(path, "w") as archive:
        attachment = 9000
        for name, sid, _, files in STUDENTS:
            late = "_late" if sid == "102" else ""
            uploads = sorted(files.items(), key=lambda item: item[1][1])  # oldest first
            for n, (filename, (data, when)) in enumerate(uploads):
                stem, dot, ext = filename.rpartition(".")
                stem = stem.replace(" (1)", "")
                shown = f"{stem}-{n}.{ext}" if n else f"{stem}.{ext}"
                attachment += 1
                info = zipfile.ZipInfo(f"{_squeezed(name)}{late}_2{sid}_{attachment}_{shown}", when)
                archive.writestr(info, data)
    return path


def expected(platform: str) -> dict[str, str]:
    """Platform id -> the status each student must get."""
    prefix = "2" if platform == "canvas" else ""
    out = {prefix + sid: status for _, sid, status, _ in STUDENTS}
    if platform == "moodle":
        out[EMPTY[1]] = "invalid"
    return out
