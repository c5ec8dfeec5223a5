"""Ops: what keeps the pipeline whole and tells an operator how it is doing.

Owns the reconciler (restart whatever the queues forgot), pipeline status and
readiness checks. It may import every other part of the domain.
"""
