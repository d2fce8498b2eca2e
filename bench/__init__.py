"""Benchmarks (`python -m bot bench`): ratios measured within one run. See bench/RESULTS.md."""
