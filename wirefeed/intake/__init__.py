"""Intake: turn whatever an agency or an upstream sends into stories, keeping the raw bytes.

Owns the format parsers, the drop box, upstream polling, and the quarantine where
payloads that fail to parse wait for an operator. It may import only the top-level
modules of ``wirefeed``.
"""
