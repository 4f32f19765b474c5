"""Broken files an instructor may pass get a message naming the file, never a traceback."""

from __future__ import annotations

import json

import pytest

from tlkit import cli
from tlkit.grading.notebook_io import read_notebook
from tlkit.grading.reports.gradebook import read_gradebook

HEADER = "student,assignment,question,points,max_points,status,reason\n"


def test_a_notebook_cut_in_half_is_named(tmp_path):
    path = tmp_path / "01_x.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    with pytest.raises(json.JSONDecodeError, match="01_x.ipynb: not a notebook"):
        read_notebook(path)
    path.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(ValueError, match="01_x.ipynb: not a notebook .not UTF-8"):
        read_notebook(path)


@pytest.mark.parametrize("content, says", [
    (HEADER + "ana,01,ej1,abc,2,passed,\n", "line 2: points 'abc'"),
    (b"\xff\xfe\x00\x01", "not UTF-8"),
    ("student,question\nana,ej1\n", "no column points, max_points"),
])
def test_lms_fill_names_a_broken_gradebook(tmp_path, capsys, content, says):
    gradebook = tmp_path / "notas.csv"
    (gradebook.write_bytes if isinstance(content, bytes) else gradebook.write_text)(content)
    worksheet = tmp_path / "hoja.csv"
    worksheet.write_text("Identifier,Full name,Grade,Maximum Grade\n", encoding="utf-8")
    with pytest.raises(ValueError, match=says):
        read_gradebook(gradebook)
    code = cli.main(["lms", "fill", "--gradebook", str(gradebook), "--out",
                     str(tmp_path / "out.csv"), str(worksheet)])
    err = capsys.readouterr().err
    assert code == 2 and "notas.csv" in err and "Traceback" not in err, err
    assert not (tmp_path / "out.csv").exists()
