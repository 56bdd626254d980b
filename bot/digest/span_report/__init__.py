"""A department's report over a quarter or a year: the month ends of the span side by side."""
