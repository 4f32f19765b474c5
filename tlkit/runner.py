"""Execute the lesson notebooks end to end and report what each used (``tlkit lessons``).

For each lesson: run it with nbclient in its own kernel and working folder, save the executed
notebook, an HTML copy and its figures under the output folder, and collect the data and
weights sources the lesson recorded (``tlkit.provenance``, through ``TLKIT_RUN_LOG``).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from tlkit import config, provenance

DEFAULT_LESSONS = Path(__file__).resolve().parents[1] / "notebooks"


@dataclass
class LessonResult:
    """The outcome of running one lesson."""

    lesson: str
    status: str  # "ok" or "failed"
    seconds: float
    sources: list[provenance.Source] = field(default_factory=list)
    error: str = ""
    outputs: list[Path] = field(default_factory=list)

    def used(self, kind: str) -> str:
        names = dict.fromkeys(f"{s.name} ({s.origin})" for s in self.sources if s.kind == kind)
        return ", ".join(names) or "-"


def find_lessons(folder: Path) -> list[Path]:
    """The lesson notebooks of ``folder`` in course order (by file name)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"lessons folder not found: {folder}")
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def run_lesson(path: Path, out: Path, *, timeout: int = 1800) -> LessonResult:
    """Run one notebook into ``out/<stem>/``; never raises for an error inside the notebook."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    target = (out / path.stem).resolve()  # the kernel runs elsewhere: no relative paths
    if target.exists():
        shutil.rmtree(target)
    workdir = target / "work"
    workdir.mkdir(parents=True)
    log = target / "sources.jsonl"
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as exc:  # malformed JSON or an invalid notebook
        return LessonResult(path.stem, "failed", 0.0, error=f"{path}: unreadable notebook ({exc})")

    saved = {k: os.environ.get(k)
             for k in ("TLKIT_RUN_LOG", "MPLBACKEND", "TLKIT_PROGRESS", *config.KERNEL_ENV)}
    config.set_kernel_env()  # as the setup cell sets them, also for a notebook without one
    os.environ["TLKIT_RUN_LOG"] = str(log)
    os.environ["TLKIT_PROGRESS"] = "0"  # a handout keeps one line per epoch, not bar fragments
    os.environ.pop("MPLBACKEND", None)  # let the kernel use its inline backend: figures are kept
    start = time.perf_counter()
    status, error = "ok", ""
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    # The kernel's own stderr (start-up warnings, a crash's last words) goes to kernel.log.
    kernel_log = open(target / "kernel.log", "w", encoding="utf-8")  # noqa: SIM115
    try:
        client.execute(stderr=kernel_log)
    except CellExecutionError as exc:
        status, error = "failed", _first_lines(str(exc))
    except (CellTimeoutError, DeadKernelError) as exc:
        status, error = "failed", f"{type(exc).__name__}: {_first_lines(str(exc))}"
    finally:
        kernel_log.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    seconds = time.perf_counter() - start
    outputs = _save_outputs(notebook, target, path.stem)
    return LessonResult(path.stem, status, seconds, provenance.read_log(log), error, outputs)


def _first_lines(text: str, n: int = 6) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # IPython colours its tracebacks
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-n:])


def _save_outputs(notebook, target: Path, stem: str) -> list[Path]:
    """Write the executed notebook, its HTML and every PNG figure it produced."""
    import nbformat
    from nbconvert import HTMLExporter

    executed = target / f"{stem}.ipynb"
    nbformat.write(notebook, executed)
    html = target / f"{stem}.html"
    body, _ = HTMLExporter().from_notebook_node(notebook)
    html.write_text(body, encoding="utf-8")
    figures = target / "figures"
    written = [executed, html]
    count = 0
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                count += 1
                figures.mkdir(exist_ok=True)
                figure = figures / f"cell{index:03d}-{count:02d}.png"
                figure.write_bytes(base64.b64decode(png))
                written.append(figure)
    return written


def summary_table(results: list[LessonResult]) -> str:
    """A plain-text table: lesson, status, time, data and weights used."""
    header = ("lesson", "status", "time", "data", "weights")
    rows = [(r.lesson, r.status, f"{r.seconds:6.1f} s", r.used("data"), r.used("weights"))
            for r in results]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    fmt = lambda row: "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths))  # noqa: E731
    return "\n".join([fmt(header), line, *map(fmt, rows)])


def run_lessons(paths: list[Path], out: Path, *, timeout: int = 1800) -> list[LessonResult]:
    """Run every lesson in order, printing progress, and return the results."""
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for path in paths:
        print(f"tlkit: running {path.name} ...", flush=True)
        result = run_lesson(path, out, timeout=timeout)
        print(f"tlkit: {path.name}: {result.status} in {result.seconds:.1f} s", flush=True)
        if result.error:
            print(result.error, flush=True)
        results.append(result)
    return results


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "lessons", help="execute the lesson notebooks and write notebooks, HTML and figures")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="lesson notebooks or folders (default: the notebooks/ folder of the kit)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell")
    parser.set_defaults(func=_cli)


def _cli(args) -> int:
    paths: list[Path] = []
    for given in args.notebooks or [DEFAULT_LESSONS]:
        paths.extend(find_lessons(given) if given.is_dir() else [given])
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"tlkit lessons: not found: {', '.join(map(str, missing))}")
        return 2
    print(f"tlkit: {config.settings(with_device=False)}", flush=True)
    results = run_lessons(paths, args.out, timeout=args.timeout)
    print()
    print(summary_table(results))
    print(f"\nExecuted notebooks, HTML and figures: {args.out.resolve()}")
    return 0 if all(r.status == "ok" for r in results) else 1
