"""Edit single fields of a CSV file and leave every other byte as it was.

Platforms re-import their own exports; rewriting the whole file through ``csv.writer`` would
change quoting, line endings, the BOM or the encoding of rows we never meant to touch. Here the
text is tokenised into records with the character span of each field, and only the spans we
replace change (keeping the field's quoting style).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

BOM = b"\xef\xbb\xbf"


@dataclass
class Record:
    """One CSV record: its fields' values and their ``(start, end)`` spans in the text."""

    values: list[str]
    spans: list[tuple[int, int]]


@dataclass
class CsvText:
    """A CSV file's text and how to write it back exactly."""

    path: Path
    text: str
    encoding: str
    bom: bool
    delimiter: str
    records: list[Record]
    edits: dict[tuple[int, int], str] = field(default_factory=dict)

    def value(self, row: int, column: int) -> str:
        values = self.records[row].values
        return values[column] if column < len(values) else ""

    def set(self, row: int, column: int, value: str) -> None:
        """Replace one field (the record must already have that column)."""
        record = self.records[row]
        if column >= len(record.values):
            raise ValueError(f"{self.path}: row {row + 1} has no column {column + 1}")
        start, end = record.spans[column]
        raw = self.text[start:end]
        self.edits[(start, end)] = quote(value, self.delimiter, raw.startswith('"'))

    def render(self) -> bytes:
        text = self.text
        for (start, end), raw in sorted(self.edits.items(), reverse=True):
            text = text[:start] + raw + text[end:]
        try:
            data = text.encode(self.encoding)
        except UnicodeEncodeError as exc:
            raise ValueError(f"{self.path}: a new value cannot be written in the file's "
                             f"encoding {self.encoding} ({exc.object[exc.start:exc.end]!r})") from exc
        return (BOM if self.bom else b"") + data


def quote(value: str, delimiter: str, quoted: bool) -> str:
    """``value`` as a raw field: quoted when the original was, or when it must be."""
    if quoted or any(c in value for c in (delimiter, '"', "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def parse_records(text: str, delimiter: str) -> list[Record]:
    """Tokenise CSV text (RFC 4180 quoting, any line ending) keeping each field's span."""
    records, i, n = [], 0, len(text)
    stops = (delimiter, "\r", "\n")
    while i < n:
        values, spans = [], []
        while True:
            start = i
            if i < n and text[i] == '"':
                i += 1
                parts = []
                while i < n:
                    if text[i] == '"':
                        if i + 1 < n and text[i + 1] == '"':
                            parts.append('"')
                            i += 2
                            continue
                        i += 1
                        break
                    parts.append(text[i])
                    i += 1
                while i < n and text[i] not in stops:
                    parts.append(text[i])
                    i += 1
                values.append("".join(parts))
            else:
                while i < n and text[i] not in stops:
                    i += 1
                values.append(text[start:i])
            spans.append((start, i))
            if i < n and text[i] == delimiter:
                i += 1
                continue
            if i < n and text[i] == "\r":
                i += 1
            if i < n and text[i] == "\n":
                i += 1
            break
        records.append(Record(values, spans))
    return records


def _delimiter(text: str) -> str:
    header = parse_records(text.split("\n", 1)[0], ",")[0].values if text else [""]
    if len(header) > 1:
        return ","
    line = text.split("\n", 1)[0]
    return max(";\t", key=line.count) if any(c in line for c in ";\t") else ","


def read_csv_text(path: Path) -> CsvText:
    """Read a CSV export as it is (BOM, UTF-8 or Windows-1252, ``,``/``;``/tab)."""
    path = Path(path)
    data = path.read_bytes()
    bom = data.startswith(BOM)
    body = data[len(BOM):] if bom else data
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            text = body.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    delimiter = _delimiter(text)
    return CsvText(path, text, encoding, bom, delimiter, parse_records(text, delimiter))
