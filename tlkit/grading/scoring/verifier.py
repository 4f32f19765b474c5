"""The verifier: a fresh process that decides every test's verdict on handed-over data.

``python -m tlkit.grading.scoring.verifier`` reads on stdin the verdict parts of a submission's tests (the
solution's source, never the student's), the constants they use, and the data each test's
collect part handed over (``handover``); it prints one JSON object with a result per test.
No student code ever ran in this process: it is started by the grader after the submission's
worker ended, imports only NumPy and ``tlkit``, and reads the data with JSON and
``numpy.load(allow_pickle=False)``. So nothing a submission did to its own kernel (patched
builtins, ``numpy``, ``check``, IPython, the kernel's replies) can reach a verdict: the most its
code can do is hand over values, and the values must be right.

:func:`verify` is the grader's side: run the process with CPU, memory and time limits, as the
submission's throw-away uid when the grader has one (it parses data a student chose).
"""

from __future__ import annotations

import base64
import json
import os
import resource
import subprocess
import sys

MEMORY_MB = 2048
CPU_SECONDS = 120


def _message(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:400]


def run_one(test: dict) -> dict:
    """One verdict: ``passed``, ``failed`` (an assertion, with its message) or ``error``."""
    import math

    import numpy as np

    from tlkit.grading.handover import BadHandover, decode
    from tlkit.grading.judging import evaluate_constant

    if test.get("json") is None:
        return {"status": "missing"}
    try:
        data = decode(test["json"], base64.b64decode(test.get("npz") or ""))
    except (BadHandover, ValueError) as exc:
        return {"status": "error", "kind": "bad-data", "message": _message(exc)}
    namespace = {"__builtins__": __builtins__, "np": np, "math": math}
    namespace.update({n: v for n, v in data.items() if n in test["names"]})
    for name, expr in test.get("constants", {}).items():
        namespace[name] = evaluate_constant(expr)
    try:
        exec(compile(test["verdict"], f"<veredicto {test.get('question', '')}>", "exec"),
             namespace)  # noqa: S102 - the solution's own verdict code
    except AssertionError as exc:
        return {"status": "failed", "message": _message(exc)}
    except NameError as exc:
        return {"status": "error", "kind": "name", "name": getattr(exc, "name", "") or "",
                "message": _message(exc)}
    except Exception as exc:  # noqa: BLE001 - a verdict that breaks on the data it got
        return {"status": "error", "kind": type(exc).__name__, "message": _message(exc)}
    return {"status": "passed"}


def main() -> int:
    payload = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    results = {str(t["index"]): run_one(t) for t in payload["tests"]}
    sys.stdout.write(json.dumps({"results": results}))
    return 0


def _limits() -> None:
    mb = 2**20
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_MB * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))
    os.setsid()


def verify(tests: list[dict], env: dict[str, str], timeout: float,
           uid: int | None = None) -> dict[int, dict]:
    """Run the verifier on ``tests`` (as ``uid`` when given); index → result.

    Raises ``RuntimeError`` when the verifier fails, ``subprocess.TimeoutExpired`` on time."""
    if not tests:
        return {}
    ids = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
    proc = subprocess.run([sys.executable, "-m", "tlkit.grading.scoring.verifier"],
                          input=json.dumps({"tests": tests}).encode("utf-8"),
                          capture_output=True, env=env, cwd="/", timeout=timeout,
                          preexec_fn=_limits, **ids)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise RuntimeError(f"verifier exited {proc.returncode}: {tail[0]}")
    return {int(k): v for k, v in json.loads(proc.stdout)["results"].items()}


if __name__ == "__main__":
    sys.exit(main())
