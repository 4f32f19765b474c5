"""What to run for a submission: its cells matched to the solution's, and each test's kernel and
verifier parts."""
