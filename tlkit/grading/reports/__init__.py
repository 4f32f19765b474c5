"""The grader host, at the end of a run: gradebook, feedback, summary, shards and their merge."""
