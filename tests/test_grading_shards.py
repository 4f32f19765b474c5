"""A class graded in shards (separate processes, as on a CI matrix or a Slurm array) and
merged equals the same class graded in one run; merge refuses shards that do not cover the
class exactly once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tlkit import cli
from tlkit.grading.reports.shards import MergeError, merge
from tlkit.grading.sandbox import isolation

pytestmark = pytest.mark.kernel  # grades through sandboxed kernels (docs/grading.md)

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
SOLUTIONS = FIXTURES / "solutions"
SUBMISSIONS = FIXTURES / "submissions"
ISOLATION = ["--isolation", "full" if isolation.full_isolation_available() else "basic"]


def make_class(folder: Path) -> None:
    """Five students; two hand in two notebooks (both must land in the same shard)."""
    layout = {"ana": ["correct", "malformed-json"], "bea": ["malformed-json"],
              "carla": ["partial"], "dani": ["wrong-nbformat"], "eva": ["malformed-json", "unsolved"]}
    for student, kinds in layout.items():
        (folder / student).mkdir(parents=True)
        for n, kind in enumerate(kinds):
            shutil.copy(SUBMISSIONS / f"submission-{kind}.ipynb",
                        folder / student / ("00_ejemplo.ipynb" if n == 0 else f"extra-{n}.ipynb"))


def _grade_args(class_dir: Path, out_dir: Path) -> list[str]:
    return ["grade", str(class_dir), "--solutions", str(SOLUTIONS), "--out",
            str(out_dir / "gradebook.csv"), "--feedback", str(out_dir / "feedback"),
            "--timeout-cell", "10", "--memory", "500", *ISOLATION]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("shards")
    class_dir = base / "entregas"
    make_class(class_dir)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = "import sys; from tlkit.cli import main; sys.exit(main(sys.argv[1:]))"
    procs = [subprocess.Popen([sys.executable, "-c", run,
                               *_grade_args(class_dir, base / f"shard-{i}"), "--shard", f"{i}/2"],
                              env=env, stdout=subprocess.DEVNULL) for i in (1, 2)]
    try:  # the single run meanwhile, as another machine would
        assert cli.main(_grade_args(class_dir, base / "single")) == 0
    finally:
        codes = [p.wait(timeout=300) for p in procs]
    assert codes == [0, 0]
    return base


def test_merged_shards_equal_a_single_run(graded):
    base = graded
    shards = [base / f"shard-{i}" / "gradebook.csv" for i in (1, 2)]
    per_shard = [{line.split(",")[0] for line in p.read_text().splitlines()[1:]} for p in shards]
    assert per_shard[0] and per_shard[1] and not per_shard[0] & per_shard[1]
    assert cli.main(["merge-grades", *map(str, shards), "--out", str(base / "merged.csv"),
                     "--feedback", str(base / "merged-feedback")]) == 0
    assert (base / "merged.csv").read_text() == (base / "single" / "gradebook.csv").read_text()
    single = sorted(p.name for p in (base / "single" / "feedback").iterdir())
    assert sorted(p.name for p in (base / "merged-feedback").iterdir()) == single
    for name in single:
        assert ((base / "merged-feedback" / name).read_text()
                == (base / "single" / "feedback" / name).read_text())


def test_merge_refuses_missing_or_repeated_shards(graded):
    base = graded
    one = base / "shard-1" / "gradebook.csv"
    with pytest.raises(MergeError, match="exactly once"):
        merge([one], base / "x.csv")
    with pytest.raises(MergeError, match="exactly once"):
        merge([one, one], base / "x.csv")
    manifest = base / "shard-2" / "gradebook.manifest.json"
    data = json.loads(manifest.read_text())
    data["class"] = data["class"] + ["zoe"]
    manifest.write_text(json.dumps(data))
    try:
        with pytest.raises(MergeError, match="disagree"):
            merge([one, base / "shard-2" / "gradebook.csv"], base / "x.csv")
    finally:
        data["class"].remove("zoe")
        manifest.write_text(json.dumps(data))
    assert not (base / "x.csv").exists()
