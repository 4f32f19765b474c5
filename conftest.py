"""Notebooks stay clean: under nbval, a cell that writes to stderr fails (issue 21).

Pink stderr blocks read as errors to a student: TensorFlow's C++ logs, tqdm's "IProgress not
found", a warning raised by a given cell. Every lesson and solution already runs once under
nbval (``make test``, ``make colab-runtime``); this hook inspects the outputs of that run instead
of executing the notebooks a second time. A line may pass only through :data:`ALLOWED`, each
entry with the reason it cannot be avoided. Python warnings reach the notebook as stderr too.
"""

from __future__ import annotations

import re

import pytest

# (pattern matched against each stderr line, why the line is acceptable). Keep it short.
ALLOWED: tuple[tuple[str, str], ...] = ()


def stray_stderr(outputs) -> list[str]:
    """The stderr lines of a cell's outputs that no :data:`ALLOWED` pattern accepts."""
    lines = []
    for out in outputs or ():
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            text = out.get("text", "")
            lines += [line for line in ("".join(text) if isinstance(text, list) else text).splitlines()
                      if line.strip() and not any(re.search(p, line) for p, _ in ALLOWED)]
    return lines


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    outputs = getattr(item, "test_outputs", None)  # nbval's IPyNbCell: what this run printed
    if outputs is not None:
        stray = stray_stderr(outputs)
        if stray:
            shown = "\n".join(stray[:15]) + (f"\n... ({len(stray) - 15} more)" if len(stray) > 15 else "")
            raise AssertionError(f"the cell wrote to stderr (a student sees a pink block); silence "
                                 f"it at its source or allow it in conftest.ALLOWED with a reason:\n{shown}")
    return result
