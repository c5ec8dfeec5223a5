"""Enrich: offline taggers (people, organisations, places, Media Topics, keywords, language).

Owns the tagger registry and pipeline, the spaCy entity tagger and its vocabulary, the
topic classifier and the small taggers. It may import the top level, ``intake`` and
``ingest``.
"""
