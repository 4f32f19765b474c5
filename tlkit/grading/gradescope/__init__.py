"""Gradescope: ``tlkit gradescope`` builds an autograder zip whose ``run_autograder`` runs the same
grading as ``tlkit grade`` on ``/autograder/submission`` and writes ``results.json``."""
