"""One option, two edits: ``tlkit grade``'s flags are ``GradeOptions``' fields, by name."""

from __future__ import annotations

import argparse
from dataclasses import fields

import pytest

from tlkit.grading.cli import add_commands, options_from
from tlkit.grading.options import GradeOptions, Limits, option_default


def _parse(*argv):
    root = argparse.ArgumentParser()
    add_commands(root.add_subparsers())
    return root.parse_args(["grade", "x.ipynb", *argv])


def test_every_option_has_a_flag_with_its_default():
    args = _parse()
    for item in fields(GradeOptions):
        assert getattr(args, item.name) == item.default, item.name
    assert options_from(args) == GradeOptions()
    assert option_default("memory_mb") == Limits().memory_mb


def test_flags_are_named_after_the_fields():
    options = options_from(_parse("--timeout-cell", "7", "--memory-mb", "300", "--nproc", "9",
                                  "--output-kb", "64", "--isolation", "basic", "--allow-weaker",
                                  "--no-warm-cache", "--keep-warm-cache", "/tmp/k", "-j", "0"))
    assert options == GradeOptions(timeout_cell=7, memory_mb=300, nproc=9, output_kb=64,
                                   isolation="basic", allow_weaker=True, warm_cache=False,
                                   keep_warm_cache="/tmp/k", jobs=1)  # at least one job


def test_earlier_spellings_still_work():
    options = options_from(_parse("--memory", "300", "--max-procs", "9", "--disk", "64"))
    assert (options.memory_mb, options.nproc, options.disk_mb) == (300, 9, 64)


def test_an_unknown_isolation_is_refused():
    with pytest.raises(SystemExit):
        _parse("--isolation", "none")
