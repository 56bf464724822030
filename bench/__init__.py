"""Benchmarks: each prints one JSON line with its figures and an in-run baseline."""
