"""Student-chosen text made safe to show: names, CSV cells, Markdown, terminals, file names.

Any byte sequence may come in (a folder unzipped from Windows, a 240-byte name, ANSI escapes,
NUL): what goes out is printable, one line, and cannot start a spreadsheet formula.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata

ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_STEM_BYTES = 80


def from_fs(name: str | bytes) -> str:
    """A file name as text: bytes that are not UTF-8 become U+FFFD instead of breaking."""
    raw = os.fsencode(name)
    return raw.decode("utf-8", "replace")


def clean(text: str) -> str:
    """``text`` without ANSI sequences, control, format (bidi) or surrogate characters."""
    text = ANSI.sub("", str(text).encode("utf-8", "replace").decode("utf-8"))
    return "".join(ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
                   else "" for ch in text)


def one_line(text: str) -> str:
    """:func:`clean` text on one line, whitespace collapsed."""
    return " ".join(clean(text).split())


def short(text, cap: int = 300) -> str:
    """``text`` on one line (whitespace collapsed), at most ``cap`` characters: ``…`` marks a
    cut. The one helper for "one line, capped"; :func:`one_line` also removes control text."""
    text = " ".join(str(text).split())
    return text if len(text) <= cap else text[: cap - 1] + "…"


def csv_cell(text: str) -> str:
    """One line, and a leading ``'`` when a spreadsheet would read it as a formula."""
    text = one_line(text)
    return "'" + text if text.startswith(FORMULA_START) else text


def markdown_cell(text: str) -> str:
    """One line safe inside a Markdown table cell (no pipes, no HTML)."""
    text = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("`", "'")


def file_stem(name: str) -> str:
    """A file-name stem for ``name``: readable, short, and unique per distinct ``name``.

    Names that are already safe and short stay as they are; any other gets a hash of the full
    name appended, so "Ana María", "Ana_María", "___" and "..." never share a file.
    """
    base = re.sub(r"[^\w.-]+", "_", one_line(name)).strip("._-")
    if base and base == name and len(base.encode()) <= MAX_STEM_BYTES:
        return base
    digest = hashlib.sha256(os.fsencode(name) if isinstance(name, bytes)
                            else name.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return f"{(base or 'anonimo')[:MAX_STEM_BYTES]}-{digest}"
