"""Publish: which feeds a story belongs to, and writing those feeds to the bucket.

Owns partners and their subscriptions (and the stored configuration), feed documents and
their rendering as RSS, Atom and JSON Feed, coalescing of renders, WebSub pings and
partner rate limits. It may import the top level and the stages before it.
"""
