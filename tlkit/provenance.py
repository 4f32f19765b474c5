"""Where data and weights came from: a record every loader writes, and the banner students see.

DESIGN §3: every loader says which source it used (local folder, cache, download, embedded
default). The lesson runner sets ``TLKIT_RUN_LOG`` to a file and reads the records back to
print its summary table.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from dataclasses import asdict, dataclass

ORIGINS = ("data_dir", "cache", "download", "embedded", "package", "online", "random")
_RECORDS: list["Source"] = []


@dataclass(frozen=True)
class Source:
    """One dataset or set of weights a lesson used, and where it came from."""

    kind: str  # "data" or "weights"
    name: str  # e.g. "mnist", "emnist-balanced", "flowers", "efficientnet_lite0"
    origin: str  # one of ORIGINS
    detail: str = ""  # a path, a URL or a description

    def __post_init__(self) -> None:
        if self.origin not in ORIGINS:
            raise ValueError(f"unknown origin {self.origin!r}; use one of {ORIGINS}")

    @property
    def is_fallback(self) -> bool:
        """True for data or weights that are not the real course material."""
        return self.origin in {"embedded", "random"}

    def __str__(self) -> str:
        return f"{self.name}: {self.origin}" + (f" ({self.detail})" if self.detail else "")


def record(source: Source) -> Source:
    """Remember ``source`` for this process and append it to ``TLKIT_RUN_LOG`` when set."""
    _RECORDS.append(source)
    log = os.environ.get("TLKIT_RUN_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(source), ensure_ascii=False) + "\n")
    return source


def recorded() -> list[Source]:
    """Every source recorded in this process, oldest first."""
    return list(_RECORDS)


def read_log(path: str | os.PathLike) -> list[Source]:
    """The sources a run appended to a ``TLKIT_RUN_LOG`` file (empty when it has none)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return [Source(**json.loads(line)) for line in fh if line.strip()]
    except FileNotFoundError:
        return []


def announce(title: str, body: str) -> None:
    """Print a banner that no student can miss (used for embedded defaults and fallbacks)."""
    width = 78
    lines = [f"⚠️  {title}"] + textwrap.wrap(body, width - 4)
    bar = "=" * width
    print("\n".join([bar, *[f"  {line}" for line in lines], bar]), file=sys.stdout, flush=True)
