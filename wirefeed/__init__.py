"""Wirefeed: wire stories in, partner feeds out.

The package holds the domain: the canonical story model, parsers, taggers, feed
rendering, storage and settings. It imports neither Celery nor FastAPI; the
``workers`` and ``services`` packages are the glue around it.
"""

__version__ = "0.1.0"
