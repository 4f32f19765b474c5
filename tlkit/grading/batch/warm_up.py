"""The run's shared warm caches (full isolation): one per assignment handed in often enough,
filled by a control run of its solution, then sealed, shared read-only, and kept between runs
when asked (``--keep-warm-cache``). See ``sandbox.warm_cache`` for the cache itself."""

from __future__ import annotations

from pathlib import Path

from tlkit.grading.batch.sandboxes import Sandboxes
from tlkit.grading.intake.solutions import Assignment
from tlkit.grading.options import GradeOptions
from tlkit.grading.sandbox import warm_cache
from tlkit.grading.sandbox.warm_cache import WarmCache


class WarmCaches:
    """Assignment → its shared cache, and what becomes of each (notes go to the run's notes)."""

    def __init__(self, sandboxes: Sandboxes, options: GradeOptions,
                 assignments: dict[str, Assignment]):
        self.sandboxes = sandboxes
        self.options = options
        self.assignments = assignments
        self.notes = sandboxes.notes
        self.enabled = (sandboxes.mode == "full" and options.warm_cache
                        and WarmCache.usable_path(sandboxes.root))
        self.caches: dict[str, WarmCache] = {}
        self.keys: dict[str, str] = {}  # assignment -> its key among the kept caches
        self.kept = self.kept_folder()
        if self.enabled:  # the templates import libraries that read these paths (KERAS_HOME)
            sandboxes.template_env = WarmCache.env({})

    def description(self) -> str:
        """What the run's isolation description adds when some cache was shared."""
        return "; " + warm_cache.DESCRIPTION if self.caches else ""

    def for_run(self, name: str, warming: bool) -> WarmCache | None:
        """The cache a submission of ``name`` runs with: the warm-up's, or a sealed one."""
        cache = self.caches.get(name)
        return cache if cache is not None and (warming or cache.sealed) else None

    def kept_folder(self) -> Path | None:
        """The folder that keeps sealed warm caches between runs (None: not asked, or a folder
        it may not use, which a note says: see ``warm_cache.kept_folder_problem``)."""
        if not self.options.keep_warm_cache:
            return None
        folder = Path(self.options.keep_warm_cache).absolute()
        problem = warm_cache.kept_folder_problem(folder)
        if problem:
            self.notes.append(f"--keep-warm-cache {folder}: {problem}; caches are not kept "
                              f"or reused")
            return None
        return folder

    def prepare(self, names: list[str]) -> tuple[list[str], set[str]]:
        """Make each assignment's cache: a kept one reused, else a new one. Returns the
        assignments that need a warm-up, and those ready already."""
        pending, ready = [], set()
        for k, name in enumerate(names if self.enabled else []):
            cache, record = None, None
            if self.kept is not None:
                assignment = self.assignments[name]
                self.keys[name] = warm_cache.assignment_key(
                    assignment.path, [src for src, _ in self.sandboxes.files(assignment)])
                record = warm_cache.find_kept(self.kept, self.keys[name])
            if record is not None:
                cache = WarmCache(self.sandboxes.root, f"a{k}", kept=self.kept / self.keys[name])
            problem = cache.overlay_problem() if cache is not None else ""
            if cache is not None and not problem:
                self.caches[name] = cache
                ready.add(name)
                self.notes.append(f"warm cache of {name} reused from {cache.host} (made "
                                  f"{record.get('made')}; its control run: {record.get('control')})")
                continue
            if problem:
                self.notes.append(f"kept warm cache of {name} not reused, its overlay cannot "
                                  f"be mounted ({problem}); warming up again")
            self.caches[name] = WarmCache(self.sandboxes.root, f"a{k}-new")
            pending.append(name)
        return pending, ready

    def seal(self, name: str) -> tuple[list[str], list[str]]:
        """Seal one assignment's cache; stop sharing it (and say why) when it holds hidden-test
        text (a warning: the solution writes its tests somewhere) or its overlay cannot be
        mounted (a note: grades are sound, only slower). Returns (warnings, notes)."""
        cache = self.caches[name]
        removed = cache.seal()
        hidden = [line for test in self.assignments[name].tests if test.hidden
                  for line in warm_cache.distinctive_lines(test.source)]
        leaking = cache.files_holding(hidden)
        problem = "" if leaking else cache.overlay_problem()
        notes = [f"warm cache of {name}: removed {Path(p).relative_to(cache.host)} (not a plain "
                 f"file)" for p in removed]
        if leaking:
            del self.caches[name]
            return [f"warm cache of {name} NOT shared: the warm-up wrote hidden-test text into "
                    f"{', '.join(str(p.relative_to(cache.host)) for p in leaking)}"], notes
        if problem:
            del self.caches[name]
            notes.append(f"warm cache of {name} not shared: its overlay cannot be mounted here "
                         f"({problem})")
        return [], notes

    def keep(self, name: str, control: str) -> str:
        """Keep one sealed cache for later runs (``control``: how its control run scored); the
        note that says where, or why not."""
        try:
            path = warm_cache.keep(self.caches[name], self.kept, self.keys[name], name, control)
        except OSError as exc:
            return f"warm cache of {name} not kept in {self.kept}: {exc}"
        return f"warm cache of {name} kept in {path} for later runs"

    def drop(self, name: str) -> None:
        """Stop sharing ``name``'s cache (its warm-up failed): its students start cold."""
        self.caches.pop(name, None)
