"""What to run for a submission: its cells matched to the solution's, and the grader's probes."""
