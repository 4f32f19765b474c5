"""Where things are inside a submission's sandbox: the paths host and guest both rely on.

The host mounts them (``sandbox``); the worker, the kernels and the warm-kernel requests use them
(``inside``). Written once here so the two sides cannot disagree.
"""

INSIDE_SCRATCH = "/sandbox"  # the scratch tmpfs, as the sandboxed worker sees it
INSIDE_FILES = f"{INSIDE_SCRATCH}/files"  # the solution's data files, read-only
INSIDE_SOCKET = "/run/tlkit/kernels.sock"  # a warm-kernel template's socket (full isolation)
INSIDE_CACHE = "/cache"  # the shared warm cache, as every sandbox sees it
