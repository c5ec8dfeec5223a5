"""Wirefeed: wire stories in, partner feeds out.

The package holds the domain, one subpackage per pipeline stage, in the order a story
meets them: ``intake`` (parse and keep what arrives), ``ingest`` (versions, kills,
embargoes, near-duplicates), ``enrich`` (tags), ``publish`` (subscriptions and feeds),
``editor`` (what newsroom staff do to stories and feeds) and ``ops`` (reconciling,
status, health). The top-level modules are shared by every stage: the story model,
settings, storage, bucket layout, queue messages, progress records, logs, metrics,
leases and text hygiene. A stage imports the top level and the stages before it, never
one after it. Nothing here imports Celery, FastAPI, ``workers``, ``services`` or
``cli``: those packages are the glue around the domain (``make lint`` checks it).
"""

__version__ = "0.1.0"
