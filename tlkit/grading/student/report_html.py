"""The last cell's report as HTML (Colab, JupyterLab, VS Code): ``report.sections`` laid out as a
table and short paragraphs.

Every string is escaped: details, cell labels, paths and names come from the notebook or the
student. Inline styles only, no assets and no scripts. Colours are translucent tints and mid-tone
edges over the front end's own background and text colour, so light and dark themes both read;
cells are aligned explicitly because JupyterLab right-aligns table cells by default.
"""

from __future__ import annotations

from html import escape

from tlkit.grading.student.report import Report, Sections, marked, sections

EDGE = "1px solid rgba(127,127,127,.35)"
CELL = f"padding:.3em .75em;text-align:left;vertical-align:top;border-bottom:{EDGE}"
TINT = {"passed": "rgba(46,160,67,.14)", "failed": "rgba(218,54,51,.16)",
        "unsolved": "rgba(210,153,34,.16)"}  # other states do not reach the final check
LEVEL_EDGE = {"problem": "#d93025", "warning": "#e3a008", "info": "#1a73e8", "ok": "#2ea043",
              "note": "rgba(127,127,127,.6)"}
HEADING = "font-weight:600;margin:.9em 0 .3em"


def _table(parts: Sections) -> str:
    head = "".join(f'<th scope="col" style="{CELL};border-bottom:2px solid rgba(127,127,127,.6)'
                   f'{";text-align:right" if column == 1 else ""}">{escape(name)}</th>'
                   for column, name in enumerate(parts.header))
    body = []
    for row in parts.rows:
        tint = f' style="background:{TINT[row.status]}"' if row.status in TINT else ""
        body.append(
            f"<tr{tint}>"
            f'<td style="{CELL};white-space:nowrap">{escape(row.question)}</td>'
            f'<td style="{CELL};white-space:nowrap;text-align:right">{escape(row.points)}</td>'
            f'<td style="{CELL};white-space:nowrap">{escape(row.state)}</td>'
            f'<td style="{CELL};white-space:pre-line">{escape(row.detail)}</td></tr>')
    return ('<table style="border-collapse:collapse;margin:0 0 .8em;width:auto;table-layout:auto;'
            'font-size:1em">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _line(text: str, style: str = "margin:.2em 0") -> str:
    return f'<div style="{style}">{escape(text)}</div>'


def _review_line(level: str, text: str) -> str:
    edge = f"border-left:3px solid {LEVEL_EDGE[level]}"
    return _line(marked(level, text), f"margin:.25em 0;padding:.1em .6em;{edge}")


def render_html(report: Report) -> str:
    """The report as one self-contained HTML fragment (the ``text/html`` half of the output)."""
    parts = sections(report)
    first, *others = parts.totals
    html = ['<div lang="es" style="line-height:1.45;max-width:62em">',
            _line(parts.title, "font-size:1.15em;font-weight:600;margin:.2em 0 .6em"),
            _table(parts),
            _line(first, "margin:.2em 0;font-weight:600"),
            *(_line(text) for text in others),
            _line(parts.how_results, "margin:.5em 0;font-size:.9em;opacity:.8"),
            _line(parts.review_title, HEADING),
            *(_review_line(level, text) for level, text in parts.review),
            _line(parts.hand_in[0], HEADING),
            *(_line(text) for text in parts.hand_in[1:]),
            "</div>"]
    return "\n".join(html)
