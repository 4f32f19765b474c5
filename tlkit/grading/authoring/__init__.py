"""Instructor authoring, at ``tlkit assign`` time: the student version of each solution notebook.

``assign`` runs the steps listed in ``assign.STEPS``, one module per step, in that order.
"""
