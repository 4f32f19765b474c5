"""Tamper evidence: fingerprints of the runtime the tests rely on, taken in the kernel.

A *probe* cell (grader-owned source) prints a fingerprint of what a test relies on: the
``check`` the notebook's namespace holds, the builtins, the ``tlkit`` modules and the self-check's functions, ``contextlib``, ``os.environ``,
IPython's input/AST transformers, event callbacks and execution methods, the kernel's
``do_execute``, trace hooks. The first probe runs before any student code; one runs before every
test and one at the end. Any difference is evidence of tampering (``tampered-runtime``).

Before each test a *preamble* loads a fresh copy of the self-check from its file, forces strict
mode in it and binds ``check`` to it, so a redefined ``check``, a patched ``strict`` or a
replaced ``os.environ`` cannot turn a failing test into a passing one. A final *canary* cell must
fail: a kernel that reports success for it lies about results.

This raises the bar; it is not a proof: code running in the same interpreter can, with enough
effort, forge what a probe prints (see docs/grading.md, "Limits").
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from tlkit.grading import selfcheck

MARK = "TLKIT-PROBE:"

PROBE = r'''
def _tlkit_probe():
    import builtins, contextlib, hashlib, json, os, sys
    import tlkit.grading.selfcheck as selfcheck
    def fp(obj):
        func = getattr(obj, "__func__", obj)
        func = getattr(func, "__wrapped__", func)
        code = getattr(func, "__code__", None)
        digest = ""
        if code is not None:
            digest = hashlib.sha256(code.co_code + repr(code.co_consts).encode()).hexdigest()[:12]
        return f"{type(obj).__name__}:{id(func)}:{digest}"
    out = {"sys.modules": str(id(sys.modules)), "os.environ": f"{type(os.environ).__name__}:{id(os.environ)}",
           "trace": repr((sys.gettrace(), sys.getprofile())), "excepthook": fp(sys.excepthook)}
    for name, value in vars(builtins).items():
        if not name.startswith("_") and name not in ("input", "raw_input"):  # per request
            out["builtins." + name] = str(id(value))
    for name, module in list(sys.modules.items()):
        if name == "tlkit" or name.startswith("tlkit."):
            out["sys.modules[" + name + "]"] = str(id(module))
    for name in ("check", "strict", "_message", "_one_line"):
        out["selfcheck." + name] = fp(getattr(selfcheck, name, None))
    out["contextlib.contextmanager"] = fp(contextlib.contextmanager)
    for name in ("__enter__", "__exit__"):
        out["contextlib." + name] = fp(getattr(contextlib._GeneratorContextManager, name))
    ip = get_ipython()
    user_check = ip.user_ns.get("check")
    if user_check is None or user_check is selfcheck.check:
        out["user.check"] = "original"
    elif getattr(user_check, "__module__", "") == "_tlkit_fresh_check":
        out["user.check"] = "original"
    else:
        out["user.check"] = "foreign"
    for name in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers"):
        out["ipython." + name] = json.dumps([fp(t) for t in getattr(ip, name, [])])
    manager = getattr(ip, "input_transformer_manager", None)
    for name in ("cleanup_transforms", "line_transforms", "token_transformers"):
        out["ipython.input_transformer_manager." + name] = json.dumps(
            [fp(t) for t in getattr(manager, name, [])])
    for event, callbacks in ip.events.callbacks.items():
        out["ipython.events." + event] = json.dumps([fp(c) for c in callbacks])
    for name in ("run_cell", "run_cell_async", "run_code", "run_ast_nodes", "transform_cell",
                 "showtraceback", "_showtraceback", "ex", "ev"):
        out["ipython." + name] = fp(getattr(ip, name, None))
    kernel = getattr(ip, "kernel", None)
    for name in ("do_execute", "execute_request", "send_response"):
        out["kernel." + name] = fp(getattr(kernel, name, None))
    session = getattr(kernel, "session", None)
    out["kernel.session.send"] = fp(getattr(session, "send", None))
    print("TLKIT-PROBE:" + json.dumps(out, sort_keys=True))
_tlkit_probe()
del _tlkit_probe
'''.strip()


def probe_source() -> str:
    """The probe cell: prints one line ``TLKIT-PROBE:{json}`` with the fingerprints."""
    return PROBE


def fresh_check_source() -> str:
    """A test's preamble: ``check`` from a fresh copy of the self-check, strict forced."""
    path = str(Path(selfcheck.__file__).resolve())
    return (
        "import importlib.util as _tlkit_u\n"
        f"_tlkit_s = _tlkit_u.spec_from_file_location('_tlkit_fresh_check', {path!r})\n"
        "_tlkit_m = _tlkit_u.module_from_spec(_tlkit_s)\n"
        "_tlkit_s.loader.exec_module(_tlkit_m)\n"
        "_tlkit_m.strict = lambda: True\n"
        "check = _tlkit_m.check\n"
        "del _tlkit_u, _tlkit_s, _tlkit_m")


def canary_source() -> str:
    """A cell that must fail with an ``AssertionError`` through the fresh ``check``."""
    token = secrets.token_hex(6)
    return f'with check("canario_{token}"):\n    assert {token!r} == {token[::-1]!r}, "canario"'


def parse_probe(output: str) -> dict[str, str] | None:
    """The fingerprints a probe cell printed, or None when it printed none."""
    for line in reversed(output.splitlines()):
        if line.startswith(MARK):
            try:
                data = json.loads(line[len(MARK):])
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
    return None


def differences(before: dict[str, str], after: dict[str, str] | None) -> list[str]:
    """Names of what changed or disappeared since ``before`` (additions are not evidence)."""
    if after is None:
        return ["probe"]
    changed = {k for k, v in before.items() if after.get(k) != v}
    changed.update(k for k, v in after.items() if k.startswith("user.") and v == "foreign")
    return sorted(changed)
