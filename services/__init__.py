"""HTTP glue (FastAPI): validate, call one domain function, enqueue."""
