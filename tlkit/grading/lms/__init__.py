"""Submissions as learning platforms deliver them, and grades back in the form they import.

``detect`` reads a bulk download (zip or folder) of Moodle or Canvas, or a plain folder, into
``Submission`` objects; ``moodle`` and ``canvas`` know each platform's names; ``worksheet``
fills the platform's grade file; ``feedback_zip`` names per-student feedback for upload.
See docs/grading.md, "Round trip through the LMS", for the formats and their sources.
"""
