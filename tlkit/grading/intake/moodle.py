"""Moodle's assignment names: "Download all submissions" folders and the feedback-zip names.

Moodle (mod/assign, ``download_submissions``) names each entry
``<full name>_<participant id>_<plugin type>_<plugin name>_`` — the full name with ``_``
turned into spaces, then the plugin (``assignsubmission_file``, ``assignsubmission_onlinetext``).
Moodle >= 4.1 may drop the trailing ``_``. With "Download submissions in folders" on (the
default) it is a folder holding the student's files; off, it prefixes each file's name. The
participant id is the one the grading worksheet shows as ``Participant <id>`` and the one the
feedback-zip importer (assignfeedback_file ``importziplib.php``) reads back from the same names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ENTRY = re.compile(r"^(?P<name>[^_]+)_(?P<id>\d+)_(?P<plugin>assignsubmission_[a-z]+)(?:_(?P<rest>.*))?$",
                   re.DOTALL)
FILE_PLUGIN = "assignsubmission_file"


@dataclass(frozen=True)
class MoodleEntry:
    """What a Moodle folder or file name says: student, participant id, plugin, file name."""

    name: str
    participant: str
    plugin: str
    filename: str = ""


def parse_entry(text: str) -> MoodleEntry | None:
    """Parse a folder name (``Ana Pérez_123_assignsubmission_file_``) or a flat file name
    (``Ana Pérez_123_assignsubmission_file_00_ejemplo.ipynb``); None when it is neither."""
    match = ENTRY.match(text)
    if not match:
        return None
    return MoodleEntry(match["name"].strip(), match["id"], match["plugin"], match["rest"] or "")


def entry_folder(name: str, participant: str, plugin: str = FILE_PLUGIN) -> str:
    """The folder name Moodle uses for a student (and accepts back in a feedback zip)."""
    return f"{name.replace('_', ' ')}_{participant}_{plugin}_"
