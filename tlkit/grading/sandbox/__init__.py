"""The grader host, as root: isolation, bubblewrap commands, cgroups, one worker, warm templates and caches.

Nothing here runs inside the sandbox; the guest side is ``tlkit.grading.inside``.
"""
