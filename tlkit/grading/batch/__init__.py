"""The grader host, the whole run: collect once, schedule, warm caches, control runs."""
