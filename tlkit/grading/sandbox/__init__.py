"""The grader host, as root: isolation, bubblewrap, cgroups, one worker, warm templates, caches.

Nothing here runs inside the sandbox; the guest side is ``tlkit.grading.inside``.
"""
