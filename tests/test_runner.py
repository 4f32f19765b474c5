"""``tlkit lessons`` runs notebooks end to end, keeps their figures and reports their sources."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from tlkit import cli, runner


def _write(path: Path, *sources: str) -> Path:
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in sources]), path)
    return path


def test_runs_lessons_records_sources_and_saves_figures(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative --out, as `make lessons` passes it
    lessons = tmp_path / "notebooks"
    lessons.mkdir()
    _write(lessons / "00_ok.ipynb",
           "from tlkit import provenance as p\n"
           "p.record(p.Source('data', 'digits', 'embedded', 'sklearn'))\n"
           "p.record(p.Source('weights', 'efficientnet_lite0', 'package'))",
           "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]); plt.show()")
    _write(lessons / "01_broken.ipynb", "x = 1", "raise ValueError('lesson bug here')", "y = 2")
    (lessons / "02_not_json.ipynb").write_text("{ this is not a notebook")

    out = tmp_path / "out"
    code = cli.main(["lessons", "notebooks", "--out", "out", "--timeout", "120"])
    printed = capsys.readouterr().out

    assert code == 1  # one lesson failed
    ok, broken, bad = (line for line in printed.splitlines()
                       if line.startswith(("00_ok ", "01_broken ", "02_not_json ")))
    assert "ok" in ok.split() and "digits (embedded)" in ok and "efficientnet_lite0 (package)" in ok
    assert "failed" in broken.split() and "failed" in bad.split()
    assert "ValueError: lesson bug here" in printed and "\x1b[" not in printed
    assert "02_not_json.ipynb: unreadable notebook" in printed
    assert (out / "00_ok" / "00_ok.html").read_text().count("<html") == 1
    figures = list((out / "00_ok" / "figures").glob("*.png"))
    assert len(figures) == 1 and figures[0].read_bytes().startswith(b"\x89PNG")
    executed = nbformat.read(out / "01_broken" / "01_broken.ipynb", as_version=4)
    assert executed.cells[1].outputs[0].ename == "ValueError"
    assert not executed.cells[2].get("outputs")  # execution stopped at the error


def test_missing_notebook_is_reported(tmp_path, capsys):
    assert cli.main(["lessons", str(tmp_path / "nope.ipynb"), "--out", str(tmp_path)]) == 2
    assert "not found" in capsys.readouterr().out


def test_summary_table_lists_each_source_once():
    from tlkit.provenance import Source

    result = runner.LessonResult("01_x", "ok", 1.5, [Source("data", "mnist", "cache")] * 2)
    table = runner.summary_table([result])
    assert table.count("mnist (cache)") == 1 and "1.5 s" in table


def test_executed_lessons_keep_no_progress_bar_fragments(tmp_path):
    """The runner's kernels get TLKIT_PROGRESS=0: fit's bars stay out of the handout."""
    path = _write(tmp_path / "bars.ipynb",
                  "import time\nfrom tlkit.torch.train import progress_bar\n"
                  "for _ in progress_bar(range(30), 'época 1/1 train'):\n    time.sleep(0.02)\n"
                  "print('hecho')")
    result = runner.run_lesson(path, tmp_path / "out", timeout=120)
    assert result.status == "ok", result.error
    executed = nbformat.read(tmp_path / "out" / "bars" / "bars.ipynb", as_version=4)
    streams = [o for o in executed.cells[0].outputs if o.output_type == "stream"]
    assert [o.name for o in streams] == ["stdout"] and streams[0].text == "hecho\n"
