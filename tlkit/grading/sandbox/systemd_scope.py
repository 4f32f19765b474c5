"""Run the grader in a systemd scope that delegates its cgroup (cgroup v2 hosts run by systemd).

Where systemd manages the cgroup tree, a program may only write cgroups below a unit created
with ``Delegate=yes``. ``tlkit grade`` therefore runs itself once more as
``systemd-run --scope -p Delegate=yes --collect`` (``--user`` when not root: the user's
manager delegates ``memory`` and ``pids``, and ``cpu`` where the distribution delegates it),
and the grader then makes its submissions' groups inside that scope (``cgroup2``). Nothing
happens where systemd is not PID 1, or when the grader's cgroup is already delegated (a scope
or service with ``Delegate=yes``, which systemd marks with the ``trusted.delegate`` or
``user.delegate`` extended attribute), or when the probe scope cannot be made (a note says why).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tlkit.grading.sandbox import cgroup2

MARK = "TLKIT_IN_SYSTEMD_SCOPE"  # set in the re-run: never nest a second scope


def systemd_running() -> bool:
    """True when systemd is the init system (``sd_booted()``'s test)."""
    return Path("/run/systemd/system").is_dir()


def is_delegated(folder: Path) -> bool:
    """True when systemd marked ``folder`` (a cgroup) as delegated to whoever runs in it."""
    for name in ("trusted.delegate", "user.delegate"):
        try:
            if os.getxattr(folder, name) == b"1":
                return True
        except OSError:
            continue
    return False


def in_own_scope() -> bool:
    """True in the re-run: the scope this grader made for itself with ``Delegate=yes`` (systemd
    before 251 marks no delegated cgroup with an extended attribute)."""
    return bool(os.environ.get(MARK))


def scope_command(argv: list[str], user: bool) -> list[str]:
    """``argv`` run in a transient scope with a delegated cgroup (``--user``: the user's own
    manager; the scope's processes inherit this environment)."""
    return ["systemd-run", *(["--user"] if user else []), "--scope", "--quiet", "--collect",
            "-p", "Delegate=yes", "--", *argv]


def reason_to_enter(tree: cgroup2.Tree | None, environ: dict | None = None) -> str:
    """Why the grader should re-run itself in a delegated scope (empty: it should not)."""
    environ = os.environ if environ is None else environ
    if environ.get(MARK) or not systemd_running() or not shutil.which("systemd-run"):
        return ""
    if tree is None:
        return ""  # cgroup v1 (or no v2 hierarchy holding us): systemd scopes add nothing
    if is_delegated(tree.base):
        return ""
    return (f"the grader's cgroup {tree.base.relative_to(tree.mount)} is managed by systemd "
            "and not delegated")


def probe(user: bool) -> str:
    """Empty when a delegated scope can be made here; otherwise systemd-run's complaint."""
    try:
        done = subprocess.run(scope_command(["true"], user), capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return "" if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


def self_command() -> list[str]:
    """How to start this same ``tlkit`` command again."""
    return [sys.executable, "-c", "import sys; from tlkit.cli import main; sys.exit(main())",
            *sys.argv[1:]]


def enter_if_needed(note=print) -> None:
    """Re-run this command in a delegated scope when systemd manages our cgroup (never returns
    then); otherwise return, after a note when a scope was needed but could not be made.

    Only the ``tlkit grade`` command re-runs itself (``sys.argv`` is then its own); a program
    that calls the CLI or the API in-process (tests, notebooks) is never replaced.
    """
    if sys.argv[1:2] != ["grade"]:
        return
    reason = reason_to_enter(cgroup2.locate())
    if not reason:
        return
    user = os.geteuid() != 0
    failure = probe(user)
    if failure:
        note(f"note: {reason}, and `systemd-run{' --user' if user else ''} --scope -p "
             f"Delegate=yes` failed ({failure}): no cgroup budgets from systemd")
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe("systemd-run", scope_command(self_command(), user), {**os.environ, MARK: "1"})
