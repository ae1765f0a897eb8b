"""Benchmarks: scripts that print figures (`make bench` runs them all). Not timed tests."""
