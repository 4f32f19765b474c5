"""The last cell's report as HTML (pure): the table's rows, the totals, the review and what to
hand in, each said as the text report says it, with everything from the notebook escaped."""

from __future__ import annotations

from html.parser import HTMLParser

from tlkit.grading.messages import FINAL_CHECK, LABELS
from tlkit.grading.student.own_notebook import NotebookSource
from tlkit.grading.student.report import QuestionResult, Report, render
from tlkit.grading.student.report_html import render_html

HOSTILE = '<script>alert("x")</script>'


class Reading(HTMLParser):
    """What a browser would show: the table's rows as cell texts, the other blocks as lines, and
    every tag and attribute met."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.blocks: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self._cell: list[str] | None = None
        self._block: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "div":
            self._flush()

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "div":
            self._flush()

    def handle_data(self, data):
        (self._cell if self._cell is not None else self._block).append(data)

    def _flush(self):
        if text := "".join(self._block).strip():
            self.blocks.append(text)
        self._block = []


def _report(**changes) -> Report:
    tests = [QuestionResult("ej1_congelar", 2, 2, "passed"),
             QuestionResult("ej2 · parte", 0, 1.5, "failed", f"Esperaba 235 {HOSTILE} & más",
                            True),
             QuestionResult("ej3", 0, 1, "unsolved", "aún no has resuelto")]
    fields = dict(assignment="01_<b>x</b>", tests=tests, hidden_points=3,
                  source=NotebookSource("jupyter", {"cells": []}, "/tmp/<img src=x>.ipynb",
                                        note="la versión guardada"),
                  problems=[f"Has modificado celdas bloqueadas: «{HOSTILE}»."],
                  warnings=["aviso"], infos=["nota"], written=[("ej4", 1.0)],
                  unanswered=["ej4"])
    return Report(**{**fields, **changes})


def test_every_question_is_a_row_with_points_state_and_detail():
    report = _report()
    shown = Reading(render_html(report))
    assert shown.rows[0] == list(FINAL_CHECK["table"])
    assert shown.rows[1:] == [
        ["ej1_congelar", "2 / 2", LABELS["passed"], ""],
        ["ej2 · parte*", "0 / 1.5", LABELS["failed"], f"Esperaba 235 {HOSTILE} & más"],
        ["ej3", "0 / 1", LABELS["unsolved"], "aún no has resuelto"]]
    assert "✅" in shown.rows[1][2] and "❌" in shown.rows[2][2]


def test_what_the_notebook_holds_is_escaped_never_markup():
    markup = render_html(_report())
    assert "<script" not in markup and "<img" not in markup and "<b>" not in markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in markup
    assert "01_&lt;b&gt;x&lt;/b&gt;" in markup and "/tmp/&lt;img src=x&gt;.ipynb" in markup
    tags = Reading(markup).tags
    assert {tag for tag, _ in tags} <= {"div", "table", "thead", "tbody", "tr", "th", "td"}
    assert {name for _, attrs in tags for name in attrs} <= {"style", "scope", "lang"}


def test_totals_review_and_hand_in_say_what_the_text_says():
    """Every line of the text report outside its table is a block of the HTML, word for word."""
    for report in (_report(), _report(problems=[], warnings=[], infos=[], written=[],
                                      unanswered=[], hidden_points=0,
                                      source=NotebookSource("colab", None, note="x"))):
        text = render(report).splitlines()
        table_end = text.index("", 2)
        expected = [line.strip() for line in text[table_end:] if line.strip()]
        assert Reading(render_html(report)).blocks[1:] == expected
        assert Reading(render_html(report)).blocks[0] == text[0]


def test_totals_count_visible_hidden_and_written_points():
    blocks = Reading(render_html(_report())).blocks
    assert "Pruebas visibles: 2 / 4.5 puntos." in blocks
    assert any("pruebas ocultas que suman 3 puntos más (total del ejercicio: 8.5)" in b
               for b in blocks)
    assert any(b.startswith("Preguntas escritas") and b.endswith(": ej4.") for b in blocks)
    assert "Aún no pasan: ej2 · parte, ej3." in blocks
    assert FINAL_CHECK["intact"] not in blocks  # a problem was found
    clean = Reading(render_html(_report(problems=[], warnings=[]))).blocks
    assert FINAL_CHECK["intact"] in clean


def test_an_exercise_without_visible_tests_still_has_its_table_header():
    shown = Reading(render_html(_report(tests=[])))
    assert shown.rows == [list(FINAL_CHECK["table"])]
    assert "Pruebas visibles: 0 / 0 puntos." in shown.blocks
