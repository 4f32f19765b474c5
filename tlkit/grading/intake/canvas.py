"""Canvas's "Download Submissions" file names.

Canvas puts every student's latest submission in one flat zip, each file renamed
``<name>_<user id>_<submission id>_<original file name>`` where ``<name>`` is the student's
sortable name squeezed to lower-case letters (``garciajose``), with ``_late`` (``LATE`` in some
versions) after the name when the submission was late. When a student uploads a file with the
same name again, Canvas stores it as ``name-1.ext``, ``name-2.ext``…: the suffix counts
resubmissions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FILE = re.compile(r"^(?P<name>[^_]+?)(?P<late>_late)?_(?P<user>\d+)_(?P<submission>\d+)_"
                  r"(?P<original>.+)$", re.IGNORECASE | re.DOTALL)
RESUBMITTED = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)$")


@dataclass(frozen=True)
class CanvasFile:
    """What a Canvas submission file name says."""

    name: str
    user_id: str
    submission_id: str
    original: str
    late: bool
    attempt: int


def parse_file(filename: str) -> CanvasFile | None:
    """Parse ``garciajose_late_1234_5678_00_ejemplo-1.ipynb``; None when not Canvas's form."""
    match = FILE.match(filename)
    if not match:
        return None
    original = match["original"]
    stem, dot, ext = original.rpartition(".")
    stem, ext = (stem, f".{ext}") if dot else (original, "")
    attempt = 1
    resubmitted = RESUBMITTED.match(stem)
    if resubmitted:
        stem, attempt = resubmitted["stem"], int(resubmitted["n"]) + 1
    return CanvasFile(match["name"], match["user"], match["submission"], stem + ext,
                      bool(match["late"]), attempt)
