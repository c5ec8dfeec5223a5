"""Celery glue: one module per queue, each named after its queue."""
