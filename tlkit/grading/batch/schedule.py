"""Schedule a run on ``jobs`` threads: warm-ups first, no thread waiting while work is ready."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tlkit.grading.intake.identify import Entry


def schedule(entries: list[Entry], assignment_of: dict, warm_ups: list[str], ready: set[str],
             jobs: int, grade: Callable[[Entry], object],
             warm_up: Callable[[str], None]) -> list:
    """``grade(entry)`` for every entry, in order of the returned list; ``warm_up(name)`` for
    every name of ``warm_ups``.

    A free thread takes the next warm-up, else the next entry whose assignment
    (``assignment_of[submission]``) is ready or needs no warm-up. An assignment is ready once
    its warm-up returned or raised (its students then run without the cache it would fill); a
    warm-up's exception is raised again once every entry is graded.
    """
    warmed = set(warm_ups) | set(ready)
    pending, waiting = list(warm_ups), list(enumerate(entries))
    ready = set(ready)
    results: list = [None] * len(entries)
    condition = threading.Condition()
    errors: list[BaseException] = []

    def next_task():
        with condition:
            while True:
                if pending:
                    return "warm", pending.pop(0)
                for i, (_, entry) in enumerate(waiting):
                    name = assignment_of.get(entry.submission)
                    if name not in warmed or name in ready:
                        return "grade", waiting.pop(i)
                if not waiting:
                    return None
                condition.wait()

    def work():
        while (task := next_task()) is not None:
            kind, item = task
            if kind == "grade":
                index, entry = item
                results[index] = grade(entry)
                continue
            try:
                warm_up(item)
            except BaseException as exc:  # noqa: BLE001 - raised again after the others
                errors.append(exc)
            finally:
                with condition:
                    ready.add(item)
                    condition.notify_all()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(max(1, jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
