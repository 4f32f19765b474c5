"""Bulk downloads of Moodle and Canvas through ``tlkit grade``, and grades back into the
platform's CSV (byte-faithful) and Moodle's feedback zip; the example assignment only."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path

import pytest

from tlkit import cli
from tlkit.grading.intake.canvas import parse_file
from tlkit.grading.intake.discover import discover
from tlkit.grading.intake.downloads import read_layout
from tlkit.grading.intake.moodle import parse_entry
from tlkit.grading.lms.worksheet import fill_worksheet
from tlkit.grading.reports.gradebook import read_gradebook

pytestmark = pytest.mark.kernel  # grades through sandboxed kernels (docs/grading.md)

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
SOLUTIONS = FIXTURES / "solutions"
SUBS = FIXTURES / "submissions"
LIMITS = ["--timeout-cell", "5", "--timeout-total", "60", "--memory", "500", "--max-procs", "48"]

# Names as Moodle writes them: full name, participant id, plugin; 4.1+ may drop the last "_".
MOODLE = {
    "Ana Pérez García_101_assignsubmission_file_/00_ejemplo.ipynb": "submission-correct.ipynb",
    "Ana Pérez García_101_assignsubmission_onlinetext_/onlinetext.html": None,
    "José Luis Núñez_102_assignsubmission_file_/Copia de 00_ejemplo.ipynb":
        "submission-partial.ipynb",
    "Iñaki O'Neil_103_assignsubmission_file/00_ejemplo.ipynb": "submission-unsolved.ipynb",
}
# Canvas: flat, <name>[_late]_<user id>_<submission id>_<file>, "-N" for a resubmitted file.
CANVAS = {
    "perezgarciaana_2001_9001_00_ejemplo.ipynb": "submission-correct.ipynb",
    "nunezjoseluis_late_2002_9002_00_ejemplo.ipynb": "submission-partial.ipynb",
    "oneilinaki_2003_9003_00_ejemplo.ipynb": "submission-correct.ipynb",
    "oneilinaki_2003_9004_00_ejemplo-1.ipynb": "submission-unsolved.ipynb",
}


def _zip(path: Path, members: dict) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, fixture in members.items():
            data = (SUBS / fixture).read_bytes() if fixture else b"<p>texto</p>"
            archive.writestr(name, data)
    return path


def _folder(path: Path, members: dict) -> Path:
    for name, fixture in members.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((SUBS / fixture).read_bytes() if fixture else b"<p>texto</p>")
    return path


def test_names_are_parsed_as_the_platforms_write_them():
    entry = parse_entry("José Luis Núñez_102_assignsubmission_file_")
    assert (entry.name, entry.participant, entry.plugin) == (
        "José Luis Núñez", "102", "assignsubmission_file")
    flat = parse_entry("Ana Pérez_7_assignsubmission_file_00_ejemplo.ipynb")
    assert flat.filename == "00_ejemplo.ipynb"
    assert parse_entry("ana.ipynb") is None and parse_entry("Ana_x_assignsubmission_file_") is None
    late = parse_file("nunezjoseluis_late_2002_9002_00_ejemplo-2.ipynb")
    assert (late.name, late.user_id, late.submission_id, late.original, late.late,
            late.attempt) == ("nunezjoseluis", "2002", "9002", "00_ejemplo.ipynb", True, 3)
    assert parse_file("00_ejemplo.ipynb") is None


def test_moodle_zip_and_folder_give_names_ids_and_skip_online_text(tmp_path):
    archive = _zip(tmp_path / "Curso-Tarea 1-123.zip", MOODLE)
    for source in (archive, _folder(tmp_path / "descarga" / "Curso-Tarea 1-123", MOODLE)):
        layout = read_layout(source)
        assert layout.kind == "moodle"
        got = sorted((s.student, s.student_id, s.lms, s.path.name) for s in layout.submissions)
        assert got == [("Ana Pérez García", "101", "moodle", "00_ejemplo.ipynb"),
                       ("Iñaki O'Neil", "103", "moodle", "00_ejemplo.ipynb"),
                       ("José Luis Núñez", "102", "moodle", "Copia de 00_ejemplo.ipynb")]
        assert not layout.ignored and not layout.superseded


def test_canvas_latest_attempt_is_kept_late_is_marked(tmp_path):
    layout = read_layout(_zip(tmp_path / "submissions.zip", CANVAS))
    assert layout.kind == "canvas"
    got = sorted((s.student_id, s.attempt, s.late, s.path.name) for s in layout.submissions)
    assert got == [("2001", 1, False, "perezgarciaana_2001_9001_00_ejemplo.ipynb"),
                   ("2002", 1, True, "nunezjoseluis_late_2002_9002_00_ejemplo.ipynb"),
                   ("2003", 2, False, "oneilinaki_2003_9004_00_ejemplo-1.ipynb")]
    [(old, new)] = layout.superseded
    assert old.path.name == "oneilinaki_2003_9003_00_ejemplo.ipynb" and new.attempt == 2


def test_plain_folder_keeps_its_naming_and_unknown_zip_names_are_reported(tmp_path):
    (tmp_path / "ana").mkdir()
    shutil.copy(SUBS / "submission-correct.ipynb", tmp_path / "ana" / "00_ejemplo.ipynb")
    assert [(s.student, s.lms) for s in discover([tmp_path])] == [("ana", "folder")]
    mixed = dict(MOODLE, **{"léeme.txt": "submission-correct.ipynb"})
    layout = read_layout(_zip(tmp_path / "m.zip", mixed))
    assert layout.kind == "moodle" and layout.ignored == [
        "léeme.txt: not a Moodle submission name"]
    bad = tmp_path / "roto.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="roto.zip: not a readable zip"):
        read_layout(bad)


MOODLE_SHEET = (
    '\ufeffIdentifier,"Full name","Email address",Status,Grade,"Maximum Grade",'
    '"Grade can be changed","Last modified (submission)","Online text",'
    '"Last modified (grade)","Feedback comments"\n'
    '"Participant 101","Ana Pérez García",ana@example.com,"Submitted for grading",,10.00,Yes,'
    '"Monday, 3 March 2025, 10:00 AM","<p>hola, profe</p>",-,\n'
    '"Participant 102","José Luis Núñez",jl@example.com,"Submitted for grading - 1 day late",'
    ',10.00,Yes,"Tuesday, 4 March 2025, 9:00 AM",,-,-\n'
    '"Participant 104","Zoe Sin Entrega",zoe@example.com,"No submission",,10.00,Yes,-,,-,\n')
SPANISH_SHEET = (
    'Identificador;"Nombre completo";"Dirección de correo";Estado;Calificación;'
    '"Calificación máxima";"La calificación puede ser cambiada";"Última modificación (entrega)";'
    '"Última modificación (calificación)";"Comentarios de retroalimentación"\r\n'
    '"Participante 101";"Ana Pérez García";ana@example.com;Enviado;;10,00;Sí;-;-;\r\n'
    '"Participante 104";"Zoe Sin Entrega";zoe@example.com;"Sin entrega";;10,00;Sí;-;-;\r\n')
CANVAS_SHEET = (
    'Student,ID,SIS User ID,SIS Login ID,Section,00 Ejemplo (5501),Otra (5502),Current Points,'
    'Final Score\n'
    '    Points Possible,,,,,10.00,5.00,(read only),(read only)\n'
    '"Pérez García, Ana",2001,A1,ana,Grupo 1,,4.00,4.00,26.67\n'
    '"Sin Entrega, Zoe",2004,A4,zoe,Grupo 1,,,0.00,0.00\n'
    '"Student, Test",9999,,,Grupo 1,,,,\n')


def _rows(student, sid, points, lms="moodle", late="", attempt="1", flags=""):
    statuses = ["passed" if p else "unsolved" for p in points]
    return [{"student": student, "assignment": "00_ejemplo", "question": q, "points": p,
             "max_points": m, "status": s, "reason": "", "flags": flags, "student_id": sid,
             "lms": lms, "attempt": attempt, "late": late}
            for q, p, m, s in zip(("ej1", "ej1_oculto", "ej2"), points, (2, 1, 2), statuses)]


def _write_csv(path: Path, rows: list[dict]) -> None:
    """A gradebook-shaped CSV of ``rows`` (dicts sharing their keys)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def test_moodle_worksheet_filled_byte_faithful(tmp_path):
    sheet = tmp_path / "calificaciones.csv"
    sheet.write_bytes(MOODLE_SHEET.encode("utf-8"))
    rows = (_rows("Ana Pérez García", "101", (2, 1, 2)) +
            _rows("José Luis Núñez", "102", (2, 0, 0), late="yes", flags="edited-locked") +
            _rows("Nuevo Alumno", "555", (2, 1, 0)))
    out = tmp_path / "rellenas.csv"
    report = fill_worksheet(sheet, rows, out)
    before, after = _lines(sheet.read_bytes()), _lines(out.read_bytes())
    assert after[0] == before[0] and after[0].startswith(b"\xef\xbb\xbf")  # BOM, header kept
    assert after[3] == before[3]  # no submission: untouched
    assert len(after) == len(before)
    parsed = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert parsed[1][4] == "10" and parsed[2][4] == "4"  # 5/5 and 2/5 scaled to 10
    assert parsed[1][8] == "<p>hola, profe</p>" and parsed[1][3] == "Submitted for grading"
    assert parsed[1][10].startswith("00_ejemplo: 5 de 5 puntos")
    assert parsed[2][10].startswith("00_ejemplo: 2 de 5")  # Moodle's "-" is no comment
    assert "Sin resolver: ej1_oculto, ej2." in parsed[2][10]
    assert "modificaste celdas bloqueadas" in parsed[2][10]
    assert "fuera de plazo" in parsed[2][10]
    # Only the two filled fields differ in a filled line, and the line keeps its quoting.
    original = list(csv.reader(io.StringIO(MOODLE_SHEET.lstrip("\ufeff"))))
    assert [p[:4] + p[5:10] for p in parsed] == [o[:4] + o[5:10] for o in original]
    assert after[1].startswith(b'"Participant 101","Ana P\xc3\xa9rez Garc\xc3\xada",ana@')
    assert [g.student for g in report.not_in_worksheet] == ["Nuevo Alumno"]
    assert report.untouched == ["Zoe Sin Entrega (Participant 104)"]


def test_spanish_moodle_worksheet_keeps_semicolons_crlf_and_decimal_comma(tmp_path):
    sheet = tmp_path / "calificaciones.csv"
    sheet.write_bytes(SPANISH_SHEET.encode("cp1252"))
    out = tmp_path / "rellenas.csv"
    fill_worksheet(sheet, _rows("Ana Pérez García", "101", (2, 0, 2)), out)
    before, after = _lines(sheet.read_bytes()), _lines(out.read_bytes())
    assert after[0] == before[0] and after[2] == before[2]
    assert after[1].startswith('"Participante 101";"Ana Pérez García";ana@example.com;Enviado;'
                               '8;10,00;Sí;-;-;00_ejemplo: 4 de 5'.encode("cp1252"))
    assert after[1].endswith(b"\r\n")


def test_comments_written_by_hand_are_kept_and_earlier_grades_reported(tmp_path):
    sheet = tmp_path / "calificaciones.csv"
    sheet.write_bytes(MOODLE_SHEET.replace(',-,\n"Participant 102"', ',-,"<p>Muy bien</p>"\n'
                                           '"Participant 102"').replace(
        '"Submitted for grading",,10.00', '"Submitted for grading",7.50,10.00').encode())
    out = tmp_path / "a.csv"
    report = fill_worksheet(sheet, _rows("Ana Pérez García", "101", (2, 1, 2)), out)
    comment = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))[1][10]
    assert comment.startswith("<p>Muy bien</p>\n00_ejemplo: 5 de 5 puntos")
    assert report.replaced == ["Ana Pérez García (101): 7.50 → 10"]
    again = tmp_path / "b.csv"  # re-filling our own output replaces our comment, once
    fill_worksheet(out, _rows("Ana Pérez García", "101", (2, 1, 2)), again)
    assert list(csv.reader(io.StringIO(again.read_text("utf-8-sig"))))[1][10] == comment


def test_canvas_gradebook_filled_in_the_assignment_column(tmp_path):
    sheet = tmp_path / "gradebook-export.csv"
    sheet.write_bytes(CANVAS_SHEET.encode("utf-8"))
    out = tmp_path / "import.csv"
    report = fill_worksheet(sheet, _rows("perezgarciaana", "2001", (2, 1, 0), lms="canvas"), out)
    before, after = _lines(sheet.read_bytes()), _lines(out.read_bytes())
    assert [a == b for a, b in zip(before, after)] == [True, True, False, True, True]
    assert after[2] == b'"P\xc3\xa9rez Garc\xc3\xada, Ana",2001,A1,ana,Grupo 1,6,4.00,4.00,26.67\n'
    assert report.filled == [("2001", "perezgarciaana", "6")]
    assert report.untouched == ["Sin Entrega, Zoe (2004)", "Student, Test (9999)"]


@pytest.mark.parametrize("text, why", [
    (MOODLE_SHEET.replace(',"Maximum Grade"', ',"Máximo"'), "no 'Maximum Grade'"),
    (MOODLE_SHEET.replace('"Submitted for grading",,10.00', '"Submitted for grading",,'),
     "Ana Pérez García (101): empty"),
    (CANVAS_SHEET.replace("    Points Possible,,,,,10.00,5.00,(read only),(read only)\n", ""),
     "no 'Points Possible' row"),
    (CANVAS_SHEET.replace("Possible,,,,,10.00", "Possible,,,,,"), "'Points Possible' is 'empty'"),
])
def test_a_worksheet_whose_scale_cannot_be_read_is_refused(tmp_path, text, why, capsys):
    """9 points of 11 written raw into a 10-point column would be a wrong grade, silently."""
    sheet, out = tmp_path / "hoja.csv", tmp_path / "rellena.csv"
    sheet.write_bytes(text.encode("utf-8"))
    book = tmp_path / "g.csv"
    lms = "canvas" if "Points" in CANVAS_SHEET and text.startswith("Student") else "moodle"
    rows = _rows("Ana Pérez García", "2001" if lms == "canvas" else "101", (2, 1, 0), lms=lms)
    _write_csv(book, rows)
    assert cli.main(["lms", "fill", str(sheet), "--gradebook", str(book), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert why in err and "nothing was written" in err
    assert not out.exists()


def test_lms_fill_names_every_student_it_left_blank(tmp_path, capsys):
    sheet, out, book = tmp_path / "hoja.csv", tmp_path / "rellena.csv", tmp_path / "g.csv"
    sheet.write_bytes(MOODLE_SHEET.encode("utf-8"))
    rows = _rows("Ana Pérez García", "101", (2, 1, 2))
    _write_csv(book, rows)
    assert cli.main(["lms", "fill", str(sheet), "--gradebook", str(book), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 row(s) without a graded submission left blank:" in printed
    assert "left blank (no graded submission): José Luis Núñez (Participant 102)" in printed
    assert "left blank (no graded submission): Zoe Sin Entrega (Participant 104)" in printed


def test_grade_a_moodle_and_a_canvas_download_then_fill_and_zip_feedback(tmp_path, capsys):
    """One grading run: both downloads, names with accents and spaces, two Canvas attempts."""
    moodle = _zip(tmp_path / "moodle.zip", MOODLE)
    canvas = _zip(tmp_path / "canvas.zip", CANVAS)
    out = tmp_path / "gradebook.csv"
    code = cli.main(["grade", str(moodle), str(canvas), "--solutions", str(SOLUTIONS),
                     "--out", str(out), "-j", "2", *LIMITS])
    printed = capsys.readouterr().out
    assert code == 0
    assert "moodle download, 3 submitted file(s) of 3 student(s)" in printed
    assert "not graded: oneilinaki_2003_9003_00_ejemplo.ipynb (attempt 1)" in printed
    rows = read_gradebook(out)
    totals: dict[tuple, float] = {}
    for row in rows:
        key = (row["lms"], row["student"], row["student_id"], row["attempt"], row["late"])
        totals[key] = totals.get(key, 0) + row["points"]
    assert totals == {
        ("moodle", "Ana Pérez García", "101", "1", ""): 5,
        ("moodle", "José Luis Núñez", "102", "1", ""): totals[
            ("moodle", "José Luis Núñez", "102", "1", "")],
        ("moodle", "Iñaki O'Neil", "103", "1", ""): 0,
        ("canvas", "perezgarciaana", "2001", "1", ""): 5,
        ("canvas", "nunezjoseluis", "2002", "1", "yes"): totals[
            ("canvas", "nunezjoseluis", "2002", "1", "yes")],
        ("canvas", "oneilinaki", "2003", "2", ""): 0,  # the latest attempt, not the first
    }
    assert 0 < totals[("moodle", "José Luis Núñez", "102", "1", "")] < 5

    moodle_rows = [r for r in rows if r["lms"] == "moodle"]
    only_moodle = tmp_path / "moodle-gradebook.csv"
    _write_csv(only_moodle, moodle_rows)
    sheet = tmp_path / "calificaciones.csv"
    sheet.write_bytes(MOODLE_SHEET.encode("utf-8"))
    filled, feedback = tmp_path / "rellenas.csv", tmp_path / "retro.zip"
    code = cli.main(["lms", "fill", str(sheet), "--gradebook", str(only_moodle), "--out",
                     str(filled), "--feedback-zip", str(feedback)])
    captured = capsys.readouterr()
    assert code == 1  # Iñaki (103) is not in the worksheet: reported, exit 1
    assert "NOT IN THE WORKSHEET: Iñaki O'Neil (103)" in captured.err
    assert "2 grade(s) filled in a moodle file, 1 row(s)" in captured.out
    with zipfile.ZipFile(feedback) as archive:
        names = sorted(archive.namelist())
        text = archive.read(names[0]).decode("utf-8")
    assert names == ["Ana Pérez García_101_assignsubmission_file_/correccion_00_ejemplo.html",
                     "Iñaki O'Neil_103_assignsubmission_file_/correccion_00_ejemplo.html",
                     "José Luis Núñez_102_assignsubmission_file_/correccion_00_ejemplo.html"]
    assert "<h1>Corrección de Ana Pérez García</h1>" in text and "5 / 5 puntos" in text
    assert "rebuilt from the gradebook" in captured.err  # this gradebook has no feedback folder
    # Moodle's importer reads <name>_<id>_<plugin type>_<plugin name>_ from each path part.
    assert all(n.split("/")[0].split("_")[1:4] == [n.split("_")[1], "assignsubmission", "file"]
               for n in names)
