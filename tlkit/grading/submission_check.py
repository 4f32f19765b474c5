"""Legacy path of the exercise's last cell: ``from tlkit.grading.submission_check import ...``.

Exercise notebooks handed out before the grader's tree was reorganised import
``check_submission`` from here; they keep working. New generated cells import it from the package
face (``from tlkit.grading import check_submission``); the code is ``student.final_check``.
"""

from tlkit.grading.student.final_check import check_submission

__all__ = ["check_submission"]
