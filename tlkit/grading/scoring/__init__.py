"""The grader host, after a worker ran: one row per test from the worker's events."""
