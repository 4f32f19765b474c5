"""The grader host, first: find submissions, read each once, load and validate the solutions."""
