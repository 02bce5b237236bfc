"""Helpers shared by the test suite and the benchmarks (never used by qms at run time)."""
