"""The course's reference results on real data: reported by the lessons, run by ``tlkit measured``.

A lesson calls :func:`report` for every number its text relies on; when ``TLKIT_RESULTS_LOG``
names a file (the real-data run sets it) the value is appended there. ``tlkit measured --data
DIR`` arranges the real subsets of ``DIR`` under the official file names in a temporary
``TLKIT_DATA_DIR`` (:func:`arrange_real_data`), executes every lesson of the course manifest on
them, writes ``reference_results.json`` (shipped with the package, so a lesson running on the
embedded stand-ins can show the real-data figures with :func:`show_reference`) and renders
the README's "Measured here" table between its markers. ``tlkit measured --readme`` re-renders
the table alone; tests/test_lessons_real_data.py checks the README matches the file.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import time
from pathlib import Path

RESULTS_FILE = Path(__file__).with_name("reference_results.json")
README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- measured:begin -->", "<!-- measured:end -->"
MNIST_TRAIN = 8000  # t10k images used for training in the real-data layout; the rest test


def report(name: str, value: float, *, spread: float | None = None, runs: int = 1) -> None:
    """Record one result of the running lesson (``value``: mean over ``runs`` seeds, ``spread``:
    their standard deviation) in ``TLKIT_RESULTS_LOG`` when set. Returns nothing, so a lesson
    cell that ends with it shows no stray number."""
    log = os.environ.get("TLKIT_RESULTS_LOG")
    if log:
        row = {"name": name, "value": float(value), "runs": int(runs),
               "spread": None if spread is None else float(spread)}
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_log(path: str | os.PathLike) -> list[dict]:
    """The results a lesson appended to a ``TLKIT_RESULTS_LOG`` file (empty when none)."""
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_results(path: str | os.PathLike = RESULTS_FILE) -> dict:
    """The results file of the last real-data run (``{}`` when there is none)."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a valid results file ({exc})") from None


def format_value(row: dict) -> str:
    """``0.853 ± 0.012 (5 seeds)`` or ``0.853``; values above 1 (seconds, ratios) get one decimal."""
    digits = 3 if abs(row["value"]) <= 1 else 1
    text = f"{row['value']:.{digits}f}"
    if row.get("spread") is not None and row.get("runs", 1) > 1:
        text += f" ± {row['spread']:.{digits}f} ({row['runs']} semillas)"
    return text


def show_reference(lesson: str, path: str | os.PathLike = RESULTS_FILE) -> None:
    """Print the course's reference results of ``lesson`` (a notebook stem, e.g.
    ``05_resnet_fine_tuning``) on real data, labelled with profile, data and date."""
    results = load_results(path)
    rows = results.get("lessons", {}).get(lesson, {}).get("results", [])
    if not rows:
        print(f"(no hay resultados de referencia con datos reales para {lesson})")
        return
    print(f"Resultados de referencia con datos reales (perfil {results['profile']}, "
          f"{results['date']}; datos: {results['data']}):")
    width = max(len(r["name"]) for r in rows)
    for row in rows:
        print(f"  {row['name']:<{width}}  {format_value(row)}")


# --- noise and stand-ins: written once, used by every lesson -------------------------------------

def noise_margin(p: float, n: int) -> float:
    """Two standard errors of an accuracy ``p`` measured on ``n`` images (at least the error of
    one image in ``n``): a difference smaller than this may be noise of the validation set."""
    return 2 * math.sqrt(max(p * (1 - p), 1 / n) / n)


def seed_noise(a, b, n: int) -> float:
    """The noise of the difference between two means over seeds, ``a`` and ``b`` (arrays of
    accuracies on the same ``n`` images): twice the combined spread, never less than one image.
    A single run has no spread to measure: its validation set's standard error stands in for it."""
    import numpy as np

    def spread(runs) -> float:
        runs = np.atleast_1d(np.asarray(runs, dtype=float))
        return float(np.std(runs)) if len(runs) > 1 else noise_margin(float(runs[0]), n) / 2

    return max(2 * math.hypot(spread(a), spread(b)), 1 / n)


STAND_INS = {
    "flowers": ("Sin las fotos del curso, la lección usa las fotos de ejemplo del kit: recortes de pocas "
                "fotos.\nLa validación son otros recortes de las MISMAS fotos: las precisiones salen muy "
                "altas y las\ncomparaciones entre estrategias NO significan nada aquí."),
    "digits": ("Sin MNIST ni EMNIST reales se usan sustitutos del kit (dígitos de 8×8 ampliados, letras "
               "de imprenta):\nlas comparaciones entre modelos NO dicen nada del curso real."),
}


def stand_in_notice(lesson: str, kind: str) -> None:
    """Print why ``lesson``'s comparisons mean nothing on the kit's stand-ins of ``kind``
    (:data:`STAND_INS`) and the course's reference figures on real data."""
    print(STAND_INS[kind] + "\nEl código y los assert de mecanismo sí valen. Cifras del curso con "
          "datos reales:\n")
    show_reference(lesson)


# --- the real-data layout ----------------------------------------------------------------------

def arrange_real_data(shared: Path, target: Path) -> Path:
    """The real subsets of ``shared`` (``../shared/data``) under the official file names in
    ``target``, for ``TLKIT_DATA_DIR``: MNIST's t10k split into train (first 8,000) and test
    (last 2,000) IDX files, EMNIST balanced (its 304 test images, every class split in two
    halves) and letters A–S (first 80 % train), the flower photos linked (given train/val)."""
    import numpy as np

    from tlkit.data.idx import read_idx, write_idx

    shared, target = Path(shared), Path(target)
    for sub in ("mnist", "emnist", "flowers"):
        if not (shared / sub).is_dir():
            raise FileNotFoundError(f"{shared / sub}: missing (see {shared / 'README.md'})")
    target.mkdir(parents=True, exist_ok=True)
    mnist = target / "mnist"
    mnist.mkdir(exist_ok=True)
    images = read_idx(shared / "mnist" / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(shared / "mnist" / "t10k-labels-idx1-ubyte.gz")
    for part, rows in (("train", slice(0, MNIST_TRAIN)), ("t10k", slice(MNIST_TRAIN, None))):
        write_idx(mnist / f"{part}-images-idx3-ubyte.gz", images[rows])
        write_idx(mnist / f"{part}-labels-idx1-ubyte.gz", labels[rows])
    emnist = target / "emnist"
    emnist.mkdir(exist_ok=True)
    for split, stem in (("balanced", "emnist-balanced-test-18496to18799"), ("letters", "emnist-letters-AtoS")):
        images = read_idx(shared / "emnist" / f"{stem}-images-idx3-ubyte.gz")
        labels = read_idx(shared / "emnist" / f"{stem}-labels-idx1-ubyte.gz")
        if split == "balanced":  # every class in both halves: alternate within each class
            rank = np.zeros(len(labels), dtype=int)
            for label in np.unique(labels):
                where = np.flatnonzero(labels == label)
                rank[where] = np.arange(len(where))
            parts = {"train": np.flatnonzero(rank % 2 == 0), "test": np.flatnonzero(rank % 2 == 1)}
        else:
            cut = int(len(labels) * 0.8)
            parts = {"train": slice(0, cut), "test": slice(cut, None)}
        for part, rows in parts.items():
            write_idx(emnist / f"emnist-{split}-{part}-images-idx3-ubyte.gz", images[rows])
            write_idx(emnist / f"emnist-{split}-{part}-labels-idx1-ubyte.gz", labels[rows])
        mapping = emnist / f"emnist-{split}-mapping.txt"
        if not mapping.exists():
            mapping.symlink_to(shared / "emnist" / f"emnist-{split}-mapping.txt")
    flowers = target / "flowers"
    if not flowers.exists():
        flowers.symlink_to((shared / "flowers").resolve(), target_is_directory=True)
    return target


DATA_LABEL = ("../shared/data: MNIST t10k (8.000 entrenamiento / 2.000 prueba), EMNIST balanced "
              "(304 imágenes reales) y letras A–S, tf_flowers (200 entrenamiento / 100 validación)")


def run_real_data(shared: Path, out: Path, lessons: list[Path] | None = None, *,
                  timeout: int = 1800):
    """Execute ``lessons`` (default: the course manifest's) on the real subsets of ``shared``;
    returns ``(runner results, {lesson stem: [reported rows]})``."""
    from tlkit import runner
    from tlkit.course import LESSONS

    root = Path(__file__).resolve().parents[1]
    lessons = lessons or [root / lesson.notebook for lesson in LESSONS]
    out = Path(out).resolve()  # the kernels run in their notebooks' folders
    out.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in ("TLKIT_DATA_DIR", "TLKIT_RESULTS_LOG")}
    outcomes, reported = [], {}
    with tempfile.TemporaryDirectory(prefix="tlkit-real-data-") as tmp:
        os.environ["TLKIT_DATA_DIR"] = str(arrange_real_data(shared, Path(tmp) / "data"))
        try:
            for path in lessons:
                log = out / f"{path.stem}.results.jsonl"
                log.unlink(missing_ok=True)
                os.environ["TLKIT_RESULTS_LOG"] = str(log)
                outcome = runner.run_lesson(path, out, timeout=timeout)
                outcomes.append(outcome)
                reported[path.stem] = read_log(log)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return outcomes, reported


def results_document(outcomes, reported: dict, profile: str, previous: dict | None = None) -> dict:
    """The results file after a run of ``profile``: the run's lessons replace theirs (with the
    pretrained weights each one used, since a base can be replaced offline), the other lessons of
    ``previous`` stay. The ``fast`` profile (what CI checks) is the top level;
    another profile's runs live under ``profiles[profile]``, labelled with their own date."""
    previous = previous or {}
    run = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "data": DATA_LABEL,
           "lessons": {}}
    run["lessons"] = {o.lesson: {"seconds": round(o.seconds, 1), "date": run["date"],
                                 "weights": o.used("weights"),
                                 "results": reported.get(o.lesson, [])} for o in outcomes}
    document = dict(previous)
    if profile == "fast":
        lessons = {**previous.get("lessons", {}), **run["lessons"]}
        document.update(profile="fast", date=run["date"], data=run["data"], lessons=lessons)
    else:
        profiles = dict(previous.get("profiles", {}))
        old = profiles.get(profile, {})
        profiles[profile] = {**run, "lessons": {**old.get("lessons", {}), **run["lessons"]}}
        document["profiles"] = profiles
    return document


def _table(lines: list[str], lessons: dict) -> None:
    lines += ["| lesson | result | value |", "| --- | --- | --- |"]
    for lesson, entry in lessons.items():
        when = f" ({entry['date']})" if entry.get("date") else ""
        lines.append(f"| `{lesson}` | run time | {entry['seconds']:.0f} s{when} |")
        if entry.get("weights", "-") != "-":  # which pretrained weights the figures come from
            lines.append(f"| `{lesson}` | weights used | {entry['weights']} |")
        for row in entry["results"]:
            lines.append(f"| `{lesson}` | {row['name']} | {format_value(row)} |")


def readme_table(results: dict) -> str:
    """The Markdown block the README shows between its markers."""
    if not results:
        return "(no real-data run recorded yet: `tlkit measured --data ../shared/data`)"
    lines = [f"Lessons on the real data subsets (`tlkit measured`, profile `{results['profile']}`, "
             f"{results['date']}; {results['data']}). Mean ± standard deviation over seeds where "
             f"a lesson repeats a run.", ""]
    _table(lines, results["lessons"])
    for profile, run in results.get("profiles", {}).items():
        lines += ["", f"Profile `{profile}` on the same subsets (`tlkit measured --profile {profile}`, "
                      f"{run['date']}), for the lessons run in it:", ""]
        _table(lines, run["lessons"])
    return "\n".join(lines)


def render_readme(text: str, results: dict) -> str:
    """``text`` with the block between the markers replaced by :func:`readme_table`."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"README: markers {BEGIN} ... {END} not found")
    return pattern.sub(lambda _: f"{BEGIN}\n{readme_table(results)}\n{END}", text)


def select_lessons(prefixes: list[str] | None) -> list[Path] | None:
    """The course manifest's notebooks whose file names start with one of ``prefixes``
    (``["04", "05"]``); None (every lesson) when no prefix is given."""
    if not prefixes:
        return None
    from tlkit.course import LESSONS

    root = Path(__file__).resolve().parents[1]
    chosen = [root / lesson.notebook for lesson in LESSONS
              if any(Path(lesson.notebook).name.startswith(p) for p in prefixes)]
    if not chosen:
        raise ValueError(f"--lessons {' '.join(prefixes)}: no lesson of the course starts so "
                         f"(lessons: {', '.join(Path(lesson.notebook).stem for lesson in LESSONS)})")
    return chosen


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "measured", help="run the lessons on real data; write the reference results and README table")
    parser.add_argument("--data", type=Path, help="the real-data subsets (e.g. ../shared/data)")
    parser.add_argument("--out", type=Path, default=Path("out/real-data"),
                        help="executed notebooks (default: out/real-data)")
    parser.add_argument("--readme", action="store_true",
                        help="only re-render the README table from the results file")
    parser.add_argument("--profile", choices=("fast", "full"),
                        help="run the lessons in this profile (default: TLKIT_PROFILE, else full); "
                             "a full run is recorded beside the fast one, labelled")
    parser.add_argument("--lessons", nargs="+", metavar="NN",
                        help="only these lessons (file name prefixes, e.g. 04 05); the others keep "
                             "their recorded results")
    parser.set_defaults(func=_cli)


def _cli(args) -> int:
    from tlkit import config
    from tlkit.files import atomic_write

    if not args.readme:
        if args.data is None or not args.data.is_dir():
            print(f"tlkit measured: give --data with the real-data folder (not found: {args.data})")
            return 2
        try:
            lessons = select_lessons(args.lessons)
        except ValueError as exc:
            print(f"tlkit measured: {exc}")
            return 2
        if args.profile:
            os.environ["TLKIT_PROFILE"] = args.profile
        profile = config.profile()
        outcomes, reported = run_real_data(args.data, args.out, lessons,
                                           timeout=1800 if profile == "fast" else 6 * 3600)
        failed = [o for o in outcomes if o.status != "ok"]
        for o in outcomes:
            print(f"{o.lesson}: {o.status} in {o.seconds:.0f} s" + (f"\n{o.error}" if o.error else ""))
        if failed:
            print("tlkit measured: some lessons failed; the results file is left as it was")
            return 1
        document = results_document(outcomes, reported, profile, load_results())
        atomic_write(RESULTS_FILE, json.dumps(document, ensure_ascii=False, indent=1) + "\n")
        print(f"wrote {RESULTS_FILE}")
    atomic_write(README, render_readme(README.read_text(encoding="utf-8"), load_results()))
    print(f"updated {README}")
    return 0

