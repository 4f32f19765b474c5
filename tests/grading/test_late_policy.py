"""The late policy (pure): rules, due dates, started days, Moodle's dates and status."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tlkit.grading.late_policy import (LatePolicy, LatePolicyError, PenaltyRule, days_late,
                                       late_note, lateness, moodle_status_late, parse_due,
                                       parse_moodle_time, parse_rule, penalised)

MADRID = timezone(timedelta(hours=1))
DUE = datetime(2026, 12, 5, 23, 59, tzinfo=MADRID)


@pytest.mark.parametrize("text, zero, per_day, cap", [
    ("zero", True, 0.0, 1.0), ("Cero", True, 0.0, 1.0), ("none", False, 0.0, 1.0),
    ("10%/day", False, 0.1, 1.0), ("10 % / día", False, 0.1, 1.0),
    ("25%/dias,max=50%", False, 0.25, 0.5), ("12,5%/day, cap=30%", False, 0.125, 0.3)])
def test_rules_are_read_as_an_instructor_writes_them(text, zero, per_day, cap):
    assert parse_rule(text) == PenaltyRule(zero=zero, per_day=per_day, cap=cap)


@pytest.mark.parametrize("text", ["10", "10%/week", "0%/day", "150%/day", "10%/day,cap=0%", ""])
def test_bad_rules_say_what_is_expected(text):
    with pytest.raises(LatePolicyError, match="late penalty"):
        parse_rule(text)


def test_percent_per_started_day_with_a_cap():
    rule = parse_rule("20%/day,cap=50%")
    assert [rule.fraction(d) for d in range(5)] == [0.0, 0.2, 0.4, 0.5, 0.5]
    assert PenaltyRule(zero=True).fraction(1) == 1.0 and PenaltyRule(zero=True).fraction(0) == 0


def test_a_second_late_is_a_started_day():
    assert days_late(DUE, DUE) == 0
    assert days_late(DUE - timedelta(hours=3), DUE) == 0
    assert days_late(DUE + timedelta(seconds=1), DUE) == 1
    assert days_late(DUE + timedelta(days=1), DUE) == 1
    assert days_late(DUE + timedelta(days=1, minutes=1), DUE) == 2


def test_due_dates_bare_day_is_its_end_and_zones_are_kept():
    assert parse_due("2026-12-05", MADRID) == datetime(2026, 12, 5, 23, 59, 59, tzinfo=MADRID)
    assert parse_due("2026-12-05T23:59+01:00") == DUE
    assert parse_due("2026-12-05T22:59Z") == DUE
    assert parse_due("2026-12-05T23:59", MADRID) == DUE
    with pytest.raises(LatePolicyError, match="ISO"):
        parse_due("5/12/2026")


def test_lateness_from_the_time_or_from_the_platforms_mark():
    policy = LatePolicy(DUE, parse_rule("10%/day"))
    two_days = lateness(policy, DUE + timedelta(days=1, hours=2), marked_late=False)
    assert (two_days.days, two_days.fraction, two_days.known_time) == (2, 0.2, True)
    # The time wins over a mark: on time despite a stale flag.
    assert lateness(policy, DUE - timedelta(minutes=1), marked_late=True).late is False
    # Canvas's "_late" without a time: the least it proves, one day.
    flagged = lateness(policy, None, marked_late=True)
    assert (flagged.days, flagged.fraction, flagged.known_time) == (1, 0.1, False)
    assert lateness(policy, None, marked_late=False).late is False
    # A naive time is read in the due date's zone.
    naive = lateness(policy, datetime(2026, 12, 6, 0, 30), marked_late=False)
    assert naive.days == 1


def test_penalty_and_its_spanish_note():
    rule = parse_rule("10%/day,cap=30%")
    late = lateness(LatePolicy(DUE, rule), DUE + timedelta(days=4), False)
    assert late.fraction == pytest.approx(0.3)
    assert penalised(7.0, late.fraction) == 4.9
    note = late_note(late, rule, 7.0)
    assert "4 día(s)" in note and "2.1 de 7 puntos" in note and "máximo un 30 %" in note
    assert late_note(lateness(LatePolicy(DUE, rule), DUE, False), rule, 7.0) == ""
    zero = late_note(lateness(LatePolicy(DUE, PenaltyRule(zero=True)), None, True),
                     PenaltyRule(zero=True), 5)
    assert "sin decir cuándo" in zero and "vale 0 puntos" in zero


@pytest.mark.parametrize("text, expected", [
    ("Monday, 2 December 2024, 10:15 AM", datetime(2024, 12, 2, 10, 15)),
    ("Friday, 6 December 2024, 12:05 PM", datetime(2024, 12, 6, 12, 5)),
    ("Friday, 6 December 2024, 12:05 AM", datetime(2024, 12, 6, 0, 5)),
    ("Friday, 6 December 2024, 3:40 PM", datetime(2024, 12, 6, 15, 40)),
    ("lunes, 2 de diciembre de 2024, 10:15", datetime(2024, 12, 2, 10, 15)),
    ("miércoles, 4 de septiembre de 2024, 23:59", datetime(2024, 9, 4, 23, 59))])
def test_moodle_dates_in_english_and_spanish(text, expected):
    assert parse_moodle_time(text, MADRID) == expected.replace(tzinfo=MADRID)


def test_moodle_empty_and_unreadable_dates():
    assert parse_moodle_time("-") is None and parse_moodle_time("") is None
    with pytest.raises(LatePolicyError, match="Moodle"):
        parse_moodle_time("mañana por la tarde")


@pytest.mark.parametrize("status, late", [
    ("Submitted for grading", False), ("Submitted for grading - 2 days 3 hours late", True),
    ("Enviado para calificar", False), ("Enviado para calificar - 1 día 2 horas tarde", True),
    ("No submission", False)])
def test_moodle_status_says_late(status, late):
    assert moodle_status_late(status) is late


MOODLE_SHEET = (  # as Moodle 4 writes its grading worksheet (English and Spanish UI)
    '\ufeffIdentifier,"Full name","Email address",Status,Grade,"Maximum Grade",'
    '"Grade can be changed","Last modified (submission)","Last modified (grade)",'
    '"Feedback comments"\n'
    '"Participant 101","Ana Pérez García",ana@example.com,"Submitted for grading",,10.00,Yes,'
    '"Saturday, 5 December 2026, 10:00 PM",-,\n'
    '"Participant 102","José Luis Núñez",jl@example.com,"Submitted for grading - 1 day 2 hours '
    'late",,10.00,Yes,"Monday, 7 December 2026, 1:00 AM",-,-\n'
    '"Participant 104","Zoe Sin Entrega",zoe@example.com,"No submission",,10.00,Yes,-,-,\n')
SPANISH_SHEET = (
    'Identificador;"Nombre completo";Estado;Calificación;"Última modificación (entrega)"\r\n'
    '"Participante 101";"Ana";"Enviado para calificar - 3 horas tarde";;'
    '"domingo, 6 de diciembre de 2026, 02:59"\r\n')


def test_moodle_worksheet_gives_times_and_late_marks(tmp_path):
    from tlkit.grading.late_policy import Handed
    from tlkit.grading.lms.submission_times import moodle_submission_times

    sheet = tmp_path / "hoja.csv"
    sheet.write_text(MOODLE_SHEET, encoding="utf-8")
    times = moodle_submission_times(sheet, MADRID)
    assert times == {
        "101": Handed(datetime(2026, 12, 5, 22, 0, tzinfo=MADRID), False),
        "102": Handed(datetime(2026, 12, 7, 1, 0, tzinfo=MADRID), True),
        "104": Handed(None, False)}
    policy = LatePolicy(DUE, parse_rule("10%/day"))
    assert [lateness(policy, h.submitted, h.marked_late).days for h in times.values()] == \
           [0, 2, 0]
    spanish = tmp_path / "hoja_es.csv"
    spanish.write_bytes(SPANISH_SHEET.encode("cp1252"))
    [(pid, handed)] = moodle_submission_times(spanish, MADRID).items()
    assert pid == "101" and handed.marked_late
    assert lateness(policy, handed.submitted, True).days == 1


def test_a_worksheet_without_times_or_with_a_bad_date_is_refused(tmp_path):
    from tlkit.grading.lms.submission_times import moodle_submission_times
    from tlkit.grading.lms.worksheet import WorksheetError

    sheet = tmp_path / "hoja.csv"
    sheet.write_text("Identifier,Grade\nParticipant 1,\n", encoding="utf-8")
    with pytest.raises(WorksheetError, match="submission times"):
        moodle_submission_times(sheet)
    sheet.write_text(MOODLE_SHEET.replace("Saturday, 5 December 2026, 10:00 PM", "ayer"),
                     encoding="utf-8")
    with pytest.raises(WorksheetError, match="hoja.csv, line 2: date 'ayer'"):
        moodle_submission_times(sheet)
