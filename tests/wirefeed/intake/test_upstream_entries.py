"""Upstream feed entries become ninjs documents: text stays text, HTML is sanitised once."""

from __future__ import annotations

import json

from tests.hostile_html import findings
from wirefeed.intake.upstreams import feed_entries

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://upstream.example.com/news/">
  <id>urn:feed</id><title>Upstream</title><updated>2026-11-28T09:00:00Z</updated>
  <entry>
    <id>urn:entry:1</id>
    <title type="html">&lt;b&gt;Bold&lt;/b&gt; &amp;amp; brave</title>
    <link href="story-1.html"/>
    <updated>2026-11-28T09:00:00Z</updated>
    <content type="html">&lt;p onclick="x()"&gt;See &lt;a href="../more"&gt;more&lt;/a&gt;
      &lt;/p&gt;</content>
  </entry>
  <entry>
    <id>urn:entry:2</id>
    <title type="text">&lt;b&gt;Not bold&lt;/b&gt; &amp; plain</title>
    <updated>2026-11-28T09:00:00Z</updated>
    <content type="text">1 &lt; 2 &lt;script&gt;</content>
  </entry>
</feed>"""


def test_atom_titles_and_content_keep_their_declared_type() -> None:
    html_entry, text_entry = feed_entries(ATOM, "application/atom+xml")
    assert html_entry["headlines"] == [{"value": "Bold & brave"}]
    assert html_entry["body_html"] == (
        '<p>See <a href="https://upstream.example.com/more" rel="noopener noreferrer">more</a>\n'
        "      </p>"
    )
    assert text_entry["headlines"] == [{"value": "<b>Not bold</b> & plain"}]
    assert (text_entry["body_html"], text_entry["body_text"]) == ("", "1 < 2 <script>")


def test_rss_relative_links_resolve_against_the_feed_address() -> None:
    rss = b"""<rss version="2.0"><channel><title>U</title><link>https://u.example/</link>
      <description>U</description><item><title>Item</title><guid>urn:i:1</guid>
      <description>&lt;img src="/pic.jpg" onerror="x()"&gt;&lt;a href="javascript:x()"&gt;j
      &lt;/a&gt;</description></item></channel></rss>"""
    (entry,) = feed_entries(rss, "application/rss+xml", "https://u.example/feeds/all.rss")
    assert entry["body_html"] == (
        '<img src="https://u.example/pic.jpg"><a rel="noopener noreferrer">j\n      </a>'
    )
    assert not findings(entry["body_html"])


def test_json_feed_summary_and_text_are_plain_text() -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "U",
        "items": [
            {"id": "1", "title": "<i>t</i>", "summary": "a < b"},
            {
                "id": "2",
                "url": "https://u.example/2",
                "title": "T",
                "content_html": '<a href="x">x</a>',
            },
        ],
    }
    first, second = feed_entries(json.dumps(feed).encode(), "application/feed+json")
    assert first["headlines"] == [{"value": "<i>t</i>"}]
    assert (first["body_html"], first["body_text"]) == ("", "a < b")
    assert second["body_html"] == '<a href="https://u.example/x" rel="noopener noreferrer">x</a>'
