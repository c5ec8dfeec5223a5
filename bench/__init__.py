"""Benchmarks: the pipeline measured against its own limits on this machine."""
