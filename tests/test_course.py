"""The course manifest, the README and the notebooks agree (one place for each fact)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from tlkit import course

ROOT = Path(__file__).resolve().parents[1]


def test_readme_table_is_generated_from_the_manifest():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- lessons-table:.*?-->\n(.*?)\n<!-- /lessons-table -->", readme, re.S)
    assert block, "README.md lost its lessons-table markers"
    assert block.group(1) == course.readme_table(), "run `tlkit readme-table` and paste it in README.md"


def test_every_listed_notebook_exists_and_every_lesson_is_listed():
    listed = {lesson.notebook for lesson in course.LESSONS} | set(course.EXERCISES)
    for path in listed:
        assert (ROOT / path).is_file(), f"{path} is listed in tlkit/course.py but missing"
    on_disk = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    on_disk |= {f"exercises/{p.name}" for p in (ROOT / "exercises").glob("*.ipynb")}
    assert on_disk <= listed, f"not in tlkit/course.py: {sorted(on_disk - listed)}"


def test_colab_install_line_uses_the_one_repository_address():
    for path in [*(lesson.notebook for lesson in course.LESSONS), *course.EXERCISES]:
        notebook = nbformat.read(ROOT / path, as_version=4)
        code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
        if "%pip install" not in code:
            continue
        assert course.pip_spec("").split("@", 1)[1].strip() in code, (
            f"{path}: the Colab install line must use {course.pip_spec()}")
        assert "google.colab" in code, f"{path}: install only when running in Colab"
