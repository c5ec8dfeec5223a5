"""Ingest: apply a parsed story to the stored one under the lifecycle rules.

Owns which version wins, kills and corrections, embargo holds and their release, and
near-duplicate detection. It may import the top level and ``intake``.
"""
