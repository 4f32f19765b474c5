"""Planning (``plan.matching``, ``plan.tamper``) without a kernel: what runs, in which order,
and what the matching noticed."""

from __future__ import annotations

from builders import GIVEN_SRC, HIDDEN_SRC, SOLUTION_SRC, TEST_SRC, code, demo, plan_of, submitted

from tlkit.grading.cells import SUBMISSION_CHECK_FLAG, SUBMISSION_CHECK_ID
from tlkit.grading.plan.matching import build_plan
from tlkit.grading.plan.tamper import MARK, differences, parse_probe


def _kinds(plan):
    return [s.kind for s in plan.steps if s.kind not in ("probe", "preamble", "canary")]


def test_intact_submission_runs_the_statement_the_answer_and_both_tests_in_order():
    plan = plan_of(demo())
    assert _kinds(plan) == ["given", "student", "test", "test"]
    assert [s.source for s in plan.steps if s.kind == "test"] == [TEST_SRC, HIDDEN_SRC]
    assert plan.facts() == {}


def test_every_test_is_guarded_by_a_probe_and_a_fresh_check_and_the_run_ends_with_a_canary():
    kinds = [s.kind for s in plan_of(demo()).steps]
    assert kinds[0] == "probe" and kinds[-3:] == ["preamble", "canary", "probe"]
    for i, kind in enumerate(kinds):
        if kind == "test":
            assert kinds[i - 2:i] == ["probe", "preamble"]


def test_reordered_cells_run_in_the_solution_order():
    cells = submitted()
    plan = build_plan(demo(), [cells[1], cells[0], cells[2]])
    assert _kinds(plan) == ["given", "student", "test", "test"] and plan.reordered


def test_edited_and_deleted_locked_cells_are_replaced_by_the_originals():
    plan = build_plan(demo(), [code("datos", "DATOS = []"), code("sol", SOLUTION_SRC)])
    assert plan.edited == ["datos"] and plan.deleted == ["t1"]
    assert [s.source for s in plan.steps if s.kind == "given"] == [GIVEN_SRC]


def test_missing_solution_cell_is_reported_not_run():
    plan = build_plan(demo(), [code("datos", GIVEN_SRC), code("t1", TEST_SRC)])
    assert plan.missing_solutions == ["sol"] and "student" not in _kinds(plan)


def test_cells_without_ids_are_matched_by_checksum_then_position():
    bare = [{**c, "metadata": {}, "id": None} for c in submitted()]
    plan = build_plan(demo(), bare)
    assert _kinds(plan) == ["given", "student", "test", "test"] and plan.by_position == 1


def test_added_cells_run_in_their_place_but_not_above_the_statement():
    cells = [code("antes", "x = 0")] + submitted()
    cells.insert(3, code("mia", "y = 1"))  # after the answer
    plan = build_plan(demo(), cells)
    assert _kinds(plan) == ["given", "student", "extra", "test", "test"]
    assert plan.extras == 1 and plan.before_start == 1
    assert plan.flags() == ["cells-before-start"]


def test_the_generated_last_cell_is_neither_run_nor_matched():
    last = {**code(SUBMISSION_CHECK_ID, "check_submission(globals(), '00_demo')"),
            "metadata": {"tlkit": {"cell": SUBMISSION_CHECK_ID, SUBMISSION_CHECK_FLAG: True}}}
    plan = build_plan(demo(), submitted() + [last])
    assert plan.extras == 0 and _kinds(plan) == ["given", "student", "test", "test"]


def test_a_solution_run_does_not_run_its_hidden_tests_twice():
    solution = submitted() + [code("t2", HIDDEN_SRC)]
    assert build_plan(demo(), solution).extras == 1  # a student who pasted it: an added cell
    plan = build_plan(demo(), solution, solution_run=True)
    assert plan.extras == 0 and [s.source for s in plan.steps].count(HIDDEN_SRC) == 1


def test_probe_fingerprints_compare_by_what_changed_or_vanished():
    assert parse_probe(f"salida\n{MARK}" + '{"a": "1"}') == {"a": "1"}
    assert parse_probe("nada") is None and parse_probe(MARK + "{roto") is None
    before = {"a": "1", "b": "2"}
    assert differences(before, {"a": "1", "b": "2", "c": "3"}) == []
    assert differences(before, {"a": "9"}) == ["a", "b"]
    assert differences(before, None) == ["probe"]
    assert differences({}, {"user.check": "foreign"}) == ["user.check"]
