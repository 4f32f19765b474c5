"""The grader host, the whole run: collect the submissions once, schedule them, warm caches, control runs."""
