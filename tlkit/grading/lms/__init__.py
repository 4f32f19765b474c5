"""Grades and feedback back to the learning platform, after grading (``tlkit lms fill``).

``worksheet`` fills the platform's grade file (through ``csv_text``, which rewrites only the
cells it changes); ``feedback_zip`` names per-student feedback for upload. Reading the
platforms' bulk downloads is intake's job (``intake.downloads``, ``intake.moodle``,
``intake.canvas``). See docs/grading.md, "Round trip through the LMS".
"""
