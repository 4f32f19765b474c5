"""What runs in the student's own kernel (Colab, Jupyter) when they run the exercise's last cell.

Imported lazily through the package face (``from tlkit.grading import check_submission``).
"""
