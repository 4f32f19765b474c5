"""When each student handed in, as the platform recorded it (for the late policy).

- **Moodle** grading worksheet: ``Last modified (submission)`` (Spanish UI: ``Última
  modificación (entrega)``) per ``Identifier``/``Identificador`` (``Participant 101``), and the
  ``Status``/``Estado`` text, which ends in "… late" / "… tarde" for a late submission.
- **Canvas** puts no time in its download, only ``_late`` in the file names (read by
  ``canvas.parse_file``): that mark is all the late policy gets.
"""

from __future__ import annotations

import re
from datetime import timezone
from pathlib import Path

from tlkit.grading.late_policy import (Handed, LatePolicyError, moodle_status_late,
                                       parse_moodle_time)
from tlkit.grading.lms.csv_text import read_csv_text
from tlkit.grading.lms.worksheet import MOODLE, WorksheetError, _find

MODIFIED = ("last modified (submission)", "última modificación (entrega)")
STATUS = ("status", "estado")


def moodle_submission_times(worksheet: Path, tz: timezone | None = None) -> dict[str, Handed]:
    """Participant id → when they handed in, from a Moodle grading worksheet."""
    sheet = read_csv_text(Path(worksheet))
    header = sheet.records[0].values if sheet.records else []
    ids, modified, status = (_find(header, MOODLE["id"]), _find(header, MODIFIED),
                             _find(header, STATUS))
    if ids is None or (modified is None and status is None):
        raise WorksheetError(f"{worksheet}: not a Moodle grading worksheet with submission "
                             "times (no Identifier and 'Last modified (submission)' columns)")
    out = {}
    for row in range(1, len(sheet.records)):
        match = re.search(r"(\d+)\s*$", sheet.value(row, ids))
        if not match:
            continue
        when = None
        if modified is not None:
            try:
                when = parse_moodle_time(sheet.value(row, modified), tz)
            except LatePolicyError as exc:
                raise WorksheetError(f"{worksheet}, line {row + 1}: {exc}") from None
        late = status is not None and moodle_status_late(sheet.value(row, status))
        out[match[1]] = Handed(when, late)
    return out
