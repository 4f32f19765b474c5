"""Late policy: a due date and a penalty rule applied to when each submission came.

Pure functions, no I/O. The rule is written as the instructor would say it:

- ``zero`` (``cero``): a late submission scores 0;
- ``10%/day`` (``10%/dia``, ``10%/día``): 10 % of the earned points per started day late;
- ``10%/day,cap=50%`` (``max=`` too): never more than 50 %;
- ``none`` (``ninguna``): lateness is recorded, nothing is deducted.

When the platform says a submission is late but not when it came (Canvas's ``_late`` in a file
name), the least it proves is counted: one started day. The feedback says so.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tlkit.grading.messages import LATE

DAY = timedelta(days=1)
RULE = re.compile(r"^(?P<pct>\d+(?:[.,]\d+)?)\s*%\s*/\s*(?:day|dia|d)"
                  r"(?:\s*,\s*(?:cap|max)\s*=\s*(?P<cap>\d+(?:[.,]\d+)?)\s*%)?$")
ZERO = ("zero", "cero")
NONE = ("none", "ninguna")


class LatePolicyError(ValueError):
    """A due date or rule that cannot be read; the message says what was expected."""


@dataclass(frozen=True)
class PenaltyRule:
    """``per_day`` and ``cap`` are fractions (0.1 = 10 %); ``zero`` takes everything."""

    zero: bool = False
    per_day: float = 0.0
    cap: float = 1.0

    def fraction(self, days: int) -> float:
        """The fraction of the earned points taken for ``days`` started days late."""
        if days <= 0:
            return 0.0
        if self.zero:
            return 1.0
        return min(self.cap, self.per_day * days, 1.0)

    def describe(self) -> str:
        """The rule in Spanish, as the feedback states it."""
        if self.zero:
            return LATE["zero"]
        if self.per_day == 0:
            return LATE["none"]
        text = LATE["per_day"].format(pct=_pct(self.per_day))
        return text + (LATE["cap"].format(pct=_pct(self.cap)) if self.cap < 1 else "")


@dataclass(frozen=True)
class LatePolicy:
    """A due date (timezone-aware) and the penalty rule."""

    due: datetime
    rule: PenaltyRule


@dataclass(frozen=True)
class Handed:
    """One student's hand-in as the platform recorded it (see ``lms.submission_times``)."""

    submitted: datetime | None
    marked_late: bool


@dataclass(frozen=True)
class Lateness:
    """How late one submission was, and what it costs."""

    days: int  # started days after the due date (0: on time)
    fraction: float  # of the earned points taken away
    known_time: bool  # False when only the platform's "late" mark was known
    submitted: datetime | None = None

    @property
    def late(self) -> bool:
        return self.days > 0


def _pct(value: float) -> str:
    return f"{value * 100:g}"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.casefold().split())


def parse_rule(text: str) -> PenaltyRule:
    """``zero``, ``none``, ``10%/day`` or ``10%/day,cap=50%`` (Spanish words too)."""
    folded = _fold(text).replace(" ", "")
    if folded in ZERO:
        return PenaltyRule(zero=True)
    if folded in NONE:
        return PenaltyRule()
    match = RULE.match(folded.replace("dias", "dia").replace("days", "day"))
    if not match:
        raise LatePolicyError(f"late penalty {text!r} not understood: use 'zero', 'none', "
                              "'10%/day' or '10%/day,cap=50%'")
    per_day = float(match["pct"].replace(",", ".")) / 100
    cap = float(match["cap"].replace(",", ".")) / 100 if match["cap"] else 1.0
    if not 0 < per_day <= 1 or not 0 < cap <= 1:
        raise LatePolicyError(f"late penalty {text!r}: percentages must be above 0 and at "
                              "most 100")
    return PenaltyRule(per_day=per_day, cap=cap)


def parse_due(text: str, default_tz: timezone | None = None) -> datetime:
    """An ISO date-time (``2026-12-05T23:59``, ``2026-12-05 23:59+01:00``; a bare date means
    the end of that day). Without a zone, ``default_tz`` (the machine's local zone if None)."""
    raw = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            value = datetime.fromisoformat(raw) + DAY - timedelta(seconds=1)
        else:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise LatePolicyError(f"due date {text!r} not understood: use ISO form, e.g. "
                              "2026-12-05T23:59 or 2026-12-05T23:59+01:00") from None
    return _aware(value, default_tz)


def _aware(value: datetime, default_tz: timezone | None) -> datetime:
    if value.tzinfo is not None:
        return value
    return value.replace(tzinfo=default_tz) if default_tz else value.astimezone()


def days_late(submitted: datetime, due: datetime) -> int:
    """Started days after ``due`` (a second late is one day); 0 when on time."""
    delta = submitted - due
    if delta <= timedelta(0):
        return 0
    return math.ceil(delta / DAY)


def lateness(policy: LatePolicy, submitted: datetime | None, marked_late: bool) -> Lateness:
    """How late a submission was: from its time when known, else from the platform's mark."""
    if submitted is not None:
        submitted = _aware(submitted, policy.due.tzinfo)  # type: ignore[arg-type]
        days = days_late(submitted, policy.due)
        return Lateness(days, policy.rule.fraction(days), True, submitted)
    days = 1 if marked_late else 0
    return Lateness(days, policy.rule.fraction(days), False)


def penalised(points: float, fraction: float) -> float:
    """Points after taking ``fraction`` of them (rounded to hundredths)."""
    return round(points * (1 - fraction), 2)


def late_note(late: Lateness, rule: PenaltyRule, points: float) -> str:
    """The Spanish sentence the feedback shows for a late submission ("" when on time)."""
    if not late.late:
        return ""
    when = (LATE["known"].format(days=late.days) if late.known_time else LATE["marked"])
    taken = LATE["taken"].format(taken=f"{round(points * late.fraction, 2):g}",
                                 points=f"{points:g}")
    return LATE["note"].format(when=when, rule=rule.describe(), taken=taken,
                               pct=_pct(late.fraction))


# Moodle writes "Last modified (submission)" with the user's language, e.g.
# "Monday, 2 December 2024, 10:15 AM" or "lunes, 2 de diciembre de 2024, 10:15".
MONTHS = {name: number for number, names in enumerate((
    ("january", "enero"), ("february", "febrero"), ("march", "marzo"), ("april", "abril"),
    ("may", "mayo"), ("june", "junio"), ("july", "julio"), ("august", "agosto"),
    ("september", "septiembre", "setiembre"), ("october", "octubre"),
    ("november", "noviembre"), ("december", "diciembre")), start=1) for name in names}
MOODLE_DATE = re.compile(
    r"(?P<day>\d{1,2})(?:\s+de)?\s+(?P<month>[a-z]+)(?:\s+de)?\s+(?P<year>\d{4}),?\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?:\s*(?P<ampm>am|pm|a\.\s?m\.|p\.\s?m\.))?")
MOODLE_EMPTY = ("-", "", "no submission", "sin entrega", "nada ha sido enviado para esta tarea")


def parse_moodle_time(text: str, tz: timezone | None = None) -> datetime | None:
    """A Moodle worksheet date (English or Spanish); None for "-" or an empty cell.

    Raises :class:`LatePolicyError` for text that is neither empty nor a date.
    """
    folded = _fold(text)
    if folded in MOODLE_EMPTY:
        return None
    match = MOODLE_DATE.search(folded)
    if not match or match["month"] not in MONTHS:
        raise LatePolicyError(f"date {text!r} not understood (expected Moodle's form, e.g. "
                              "'Monday, 2 December 2024, 10:15 AM')")
    hour = int(match["hour"])
    ampm = (match["ampm"] or "").replace(".", "").replace(" ", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    value = datetime(int(match["year"]), MONTHS[match["month"]], int(match["day"]), hour,
                     int(match["minute"]))
    return _aware(value, tz)


def moodle_status_late(status: str) -> bool:
    """True when Moodle's worksheet status says the submission was late (… late, … tarde)."""
    folded = _fold(status)
    return bool(re.search(r"\b(late|tarde|retraso)\b", folded))
