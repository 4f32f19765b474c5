"""Where things are inside a submission's sandbox: the paths host and guest both rely on.

The host mounts them (``sandbox``); the worker, the kernels and the warm-kernel requests use them
(``inside``). Written once here so the two sides cannot disagree.
"""

INSIDE_SCRATCH = "/sandbox"  # the scratch tmpfs, as the sandboxed worker sees it
INSIDE_FILES = f"{INSIDE_SCRATCH}/files"  # the solution's data files, read-only
INSIDE_SOCKET = "/run/tlkit/kernels.sock"  # a warm-kernel template's socket (full isolation)
INSIDE_CACHE = "/cache"  # the shared warm cache, as every sandbox sees it

# The scratch folder's layout (its root: ``INSIDE_SCRATCH`` in full isolation, a host folder in
# basic). The worker makes these folders; the sandbox's environment points Jupyter, IPython and
# ``HOME`` at them.
SCRATCH_FOLDERS = {"work": "work", "runtime": "runtime", "jupyter": "jupyter",
                   "config": "config", "ipython": "ipython"}


def in_scratch(scratch: str, folder: str) -> str:
    """The path of one of :data:`SCRATCH_FOLDERS` under ``scratch``."""
    return f"{scratch}/{SCRATCH_FOLDERS[folder]}"
