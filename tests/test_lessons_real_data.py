"""Every lesson of the course manifest, executed on the real subsets of ../shared/data.

nbval runs the lessons on the embedded stand-ins; here the same notebooks run (fast profile,
offline) with ``TLKIT_DATA_DIR`` pointing at the real MNIST, EMNIST and flower files arranged
under their official names, and their asserts must hold there too. Each lesson must also report
the results the README and the reference file list (``tlkit measured`` writes both).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from tlkit import measured
from tlkit.course import LESSONS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.shared_data
@pytest.mark.parametrize("lesson", [lesson.notebook for lesson in LESSONS],
                         ids=[Path(lesson.notebook).stem[:2] for lesson in LESSONS])
def test_lesson_runs_on_real_data(lesson, shared_data, tmp_path, capsys):
    outcomes, reported = measured.run_real_data(shared_data, tmp_path, [ROOT / lesson], timeout=900)
    (outcome,) = outcomes
    with capsys.disabled():
        rows = reported[outcome.lesson]
        print(f"\n{outcome.lesson} on real data: {outcome.status} in {outcome.seconds:.0f} s; "
              + "; ".join(f"{r['name']}={measured.format_value(r)}" for r in rows))
    assert outcome.status == "ok", outcome.error
    data = [s for s in outcome.sources if s.kind == "data"]
    assert all(s.origin == "data_dir" for s in data), [str(s) for s in data]  # 00 loads none
    expected = [r["name"] for r in measured.load_results().get("lessons", {}).get(outcome.lesson, {})
                .get("results", [])]
    assert [r["name"] for r in rows] == expected, "run `tlkit measured` to refresh the reference file"


def test_readme_table_is_generated_from_the_results_file():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert measured.render_readme(text, measured.load_results()) == text, \
        "README's measured table is stale: run `tlkit measured --readme`"


def test_reference_results_cover_every_lesson():
    results = measured.load_results()
    assert {"profile", "date", "data"} <= set(results)
    assert set(results["lessons"]) == {Path(lesson.notebook).stem for lesson in LESSONS}
    for entry in results["lessons"].values():
        assert entry["results"], "each lesson reports at least one result"


def test_report_appends_to_the_results_log(tmp_path, monkeypatch):
    log = tmp_path / "r.jsonl"
    monkeypatch.delenv("TLKIT_RESULTS_LOG", raising=False)
    measured.report("ignored", 0.5)
    assert not log.exists()
    monkeypatch.setenv("TLKIT_RESULTS_LOG", str(log))
    assert measured.report("a", 0.8125, spread=0.02, runs=5) is None  # a cell ending with it shows nothing
    measured.report("b", 12.0)
    rows = measured.read_log(log)
    assert [r["name"] for r in rows] == ["a", "b"]
    assert measured.format_value(rows[0]) == "0.812 ± 0.020 (5 semillas)"
    assert measured.format_value(rows[1]) == "12.0"


def test_render_readme_replaces_only_the_block():
    text = f"intro\n{measured.BEGIN}\nold\n{measured.END}\nrest\n"
    results = {"profile": "fast", "date": "2026-01-01", "data": "d",
               "lessons": {"00_x": {"seconds": 3.0, "results": [{"name": "n", "value": 0.5, "runs": 1}]}}}
    out = measured.render_readme(text, results)
    assert out.startswith("intro\n") and out.endswith("rest\n") and "old" not in out
    assert "| `00_x` | n | 0.500 |" in out
    with pytest.raises(ValueError, match="markers"):
        measured.render_readme("no markers", results)


def test_arrange_real_data_uses_official_names(tmp_path):
    """A miniature ../shared/data: the layout holds the official names the loaders look for."""
    from tlkit.data.idx import read_idx, write_idx

    shared = tmp_path / "shared"
    for sub in ("mnist", "emnist", "flowers/train/a", "flowers/val/a"):
        (shared / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    write_idx(shared / "mnist/t10k-images-idx3-ubyte.gz", rng.integers(0, 255, (8010, 28, 28), dtype=np.uint8))
    write_idx(shared / "mnist/t10k-labels-idx1-ubyte.gz", (np.arange(8010) % 10).astype(np.uint8))
    for stem, labels in (("emnist-balanced-test-18496to18799", np.repeat(np.arange(3), 4)),
                         ("emnist-letters-AtoS", np.arange(1, 11))):
        write_idx(shared / f"emnist/{stem}-images-idx3-ubyte.gz",
                  np.zeros((len(labels), 28, 28), np.uint8))
        write_idx(shared / f"emnist/{stem}-labels-idx1-ubyte.gz", labels.astype(np.uint8))
    for split in ("balanced", "letters"):
        (shared / f"emnist/emnist-{split}-mapping.txt").write_text("0 48\n")
    target = measured.arrange_real_data(shared, tmp_path / "data")
    assert read_idx(target / "mnist/train-images-idx3-ubyte.gz").shape == (8000, 28, 28)
    assert list(read_idx(target / "mnist/t10k-labels-idx1-ubyte.gz")) == list(range(10))
    train = read_idx(target / "emnist/emnist-balanced-train-labels-idx1-ubyte.gz")
    test = read_idx(target / "emnist/emnist-balanced-test-labels-idx1-ubyte.gz")
    assert sorted(train) == sorted(test) == [0, 0, 1, 1, 2, 2]  # every class in both halves
    assert len(read_idx(target / "emnist/emnist-letters-test-labels-idx1-ubyte.gz")) == 2
    assert gzip.decompress((target / "mnist/train-labels-idx1-ubyte.gz").read_bytes())[:4] == b"\0\0\x08\x01"
    assert (target / "flowers").is_symlink() and (target / "flowers/train/a").is_dir()
    with pytest.raises(FileNotFoundError, match="missing"):
        measured.arrange_real_data(tmp_path / "nowhere", tmp_path / "x")


def test_keras_and_pytorch_head_only_agree_on_real_photos():
    """Lesson 01 (Keras) and lesson 05 (PyTorch) train the same linear head on the same base's
    features of the same real photos: the last real-data run must show them within 3 points."""
    lessons = measured.load_results()["lessons"]

    def value(lesson, name):
        return next(r["value"] for r in lessons[lesson]["results"] if r["name"] == name)

    keras_acc = value("01_trainable_y_compile", "cabeza sola sobre características (30 épocas)")
    torch_acc = value("05_resnet_fine_tuning", "cabeza sola sobre características, normalización de los pesos")
    assert abs(keras_acc - torch_acc) <= 0.03, (keras_acc, torch_acc)


def _outcome(lesson, seconds=1.0):
    from tlkit.runner import LessonResult

    return LessonResult(lesson, "ok", seconds, [], None, None)


def test_a_run_of_some_lessons_keeps_the_others_and_a_full_run_is_labelled_apart():
    before = {"profile": "fast", "date": "2026-01-01", "data": "d",
              "lessons": {"00_a": {"seconds": 3.0, "results": [{"name": "x", "value": 0.5, "runs": 1}]},
                          "05_b": {"seconds": 9.0, "results": [{"name": "y", "value": 0.1, "runs": 1}]}}}
    row = {"name": "y", "value": 0.7, "runs": 3, "spread": 0.02}
    fast = measured.results_document([_outcome("05_b", 60.0)], {"05_b": [row]}, "fast", before)
    assert fast["lessons"]["00_a"] == before["lessons"]["00_a"]
    assert fast["lessons"]["05_b"]["results"] == [row] and fast["lessons"]["05_b"]["seconds"] == 60.0
    assert before["lessons"]["05_b"]["seconds"] == 9.0, "the previous document is not modified"
    full = measured.results_document([_outcome("00_a", 30.0)], {"00_a": [row]}, "full", fast)
    assert full["lessons"] == fast["lessons"] and full["profile"] == "fast"
    assert full["profiles"]["full"]["lessons"]["00_a"]["results"] == [row]
    table = measured.readme_table(full)
    assert "Profile `full`" in table and table.index("Profile `full`") < table.rindex("| `00_a` | y | 0.700")
    again = measured.results_document([_outcome("05_b")], {"05_b": []}, "full", full)
    assert set(again["profiles"]["full"]["lessons"]) == {"00_a", "05_b"}


def test_select_lessons_by_prefix():
    chosen = measured.select_lessons(["05", "00"])
    assert [p.name[:2] for p in chosen] == ["00", "05"] and all(p.is_file() for p in chosen)
    assert measured.select_lessons(None) is None
    with pytest.raises(ValueError, match="no lesson"):
        measured.select_lessons(["99"])


def test_noise_helpers():
    assert measured.noise_margin(0.5, 100) == pytest.approx(0.1)
    assert measured.noise_margin(1.0, 100) == pytest.approx(0.02)  # never zero: one image's worth
    assert measured.seed_noise([0.7, 0.7], [0.6, 0.6], 100) == pytest.approx(0.01)
    assert measured.seed_noise([0.6, 0.8], [0.7, 0.7], 100) == pytest.approx(0.2)
    # one run: its spread is unknown, so the validation noise of that run stands in for it
    assert measured.seed_noise([0.5], [0.7, 0.7], 100) == pytest.approx(0.1)
    assert measured.seed_noise([0.5], [0.5], 100) == pytest.approx(0.1 * 2 ** 0.5)


def test_the_table_names_the_weights_each_lesson_used():
    """Offline, a Keras lesson's base is replaced (Xception → EfficientNet-Lite0): the recorded
    run says which weights its figures come from; a lesson without pretrained weights gets no row."""
    from tlkit.provenance import Source
    from tlkit.runner import LessonResult

    lite0 = Source("weights", "efficientnet_lite0", "cache", "/somewhere/lite0.npz")
    outcomes = [LessonResult("01_a", "ok", 5.0, [lite0, lite0], None, None), _outcome("00_b")]
    document = measured.results_document(outcomes, {}, "full", {})
    lessons = document["profiles"]["full"]["lessons"]
    assert lessons["01_a"]["weights"] == "efficientnet_lite0 (cache)" and lessons["00_b"]["weights"] == "-"
    table = measured.readme_table({**document, "profile": "fast", "date": "d", "data": "d", "lessons": {}})
    assert "| `01_a` | weights used | efficientnet_lite0 (cache) |" in table
    assert "`00_b` | weights used" not in table
