"""Inside the sandbox, as the throw-away uid: the worker, its kernel and the warm-kernel zygote.

Entered only by ``python -m tlkit.grading.inside.<module>``; host code never imports this package
(an import-linter contract holds it).
"""
