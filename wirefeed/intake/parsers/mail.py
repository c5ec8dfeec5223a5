"""E-mail deliveries: RFC 822/MIME messages, read with the standard library's ``email``.

Small agencies (and AAP's mail service) send copy by e-mail. A message is recognised
by its Content-Type (``message/rfc822``), by ``.eml`` in the drop box (which sets
that type), or by a block of mail headers at the top of the payload. Then:

- an attachment in a known wire format (NITF, NewsML-G2, ninjs, ANPA, 7901, or an
  attached e-mail, which is how mail clients forward) is taken in as its own item or
  items, and the mail's own text is discarded: it is a covering note;
- otherwise the mail is the story: Subject (without ``Fwd:``/``Re:``) the headline,
  Message-ID the guid, Date the version time, the From name the byline when it is a
  person's, and the text/plain part (or else the sanitised text/html part) the body.

This module is named ``mail`` so it does not shadow the standard ``email`` package.
"""

from __future__ import annotations

import re
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime

from wirefeed.intake.parsers import (
    _MIME_FORMATS,
    Delivery,
    Outcome,
    ParseError,
    RawItem,
    attempt,
    parse_date,
    parse_delivery,
    sniff,
)
from wirefeed.intake.parsers.charsets import decode_text
from wirefeed.intake.parsers.headlines import headlines_for
from wirefeed.intake.parsers.wirecopy import (
    clean_line,
    correction_in,
    fingerprint_uri,
    read_copy,
    split_paragraphs,
)
from wirefeed.model import Body, Story, story_id_for
from wirefeed.sanitize import clean_html, paragraphs_to_html

MAIL_TYPE = "message/rfc822"
# Forwards inside forwards are read this deep, no deeper.
_MAX_DEPTH = 4

_HEADER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{0,60}:")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_MAIL_HEADERS = {
    b"date",
    b"subject",
    b"message-id",
    b"received",
    b"delivered-to",
    b"return-path",
    b"mime-version",
    b"to",
    b"reply-to",
    b"sender",
    b"x-mailer",
    b"content-type",
}


def _strip_mbox_line(payload: bytes) -> bytes:
    # An mbox export starts with "From sender@host date" (no colon), then the headers.
    if payload.startswith(b"From "):
        return payload.split(b"\n", 1)[-1]
    return payload


def looks_like_mail(payload: bytes) -> bool:
    """Whether the payload opens with a block of mail headers, From and two more at least."""
    block = _BLANK_LINE.split(_strip_mbox_line(payload.lstrip())[:65536], maxsplit=1)[0]
    names: list[bytes] = []
    for line in block.splitlines():
        if line[:1] in (b" ", b"\t") and names:
            continue  # a folded header line
        if not _HEADER.match(line):
            return False
        names.append(line.split(b":", 1)[0].lower())
    known = {n for n in names if n in _MAIL_HEADERS}
    return b"from" in names and len(known) >= 2


def is_mail(payload: bytes, content_type: str) -> bool:
    """Whether to read the payload as an e-mail: by its type, else by its header block.

    An explicit wire type wins over the sniffing, so a NITF file is never taken for mail.
    """
    mime = content_type.split(";")[0].strip().lower()
    if mime == MAIL_TYPE:
        return True
    return mime not in _MIME_FORMATS and looks_like_mail(payload)


# "Fwd:", "FW:", "Re:", "AW:", "WG:" (German), "SV:"/"VS:" (Nordic), "TR:" (French).
# Spaces possessively: two runs that could share the same spaces would be quadratic.
_REPLY_PREFIX = re.compile(r"^(?:(?:re|fwd?|aw|wg|sv|vs|tr)\s*+(?:\[\d+\])?\s*+:\s*+)+", re.I)
# The block a mail client puts above a forwarded or quoted message.
_FORWARD_MARKER = re.compile(
    r"^-{2,}\s*(?:forwarded message|original message|weitergeleitete nachricht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FORWARD_WORD = re.compile(r"\b(?:fwd?|wg|vs|tr)\b", re.I)
_FORWARD_HEADER = re.compile(r"^(?:from|date|sent|subject|to|cc|von|datum|betreff|an):", re.I)
# Words that show a sender name is a desk, a service or a machine rather than a person.
_NOT_A_PERSON = {
    "news",
    "newsroom",
    "desk",
    "wire",
    "newswire",
    "agency",
    "press",
    "service",
    "services",
    "team",
    "editor",
    "editors",
    "office",
    "media",
    "noreply",
    "no-reply",
    "donotreply",
    "info",
    "alerts",
    "alert",
    "bulletin",
    "feed",
    "feeds",
    "redaktion",
    "toimitus",
    "uutiset",
    "admin",
    "support",
    "mailer-daemon",
    "postmaster",
    "newsdesk",
    "online",
    "digital",
    "group",
    "publishing",
    "aap",
    "stt",
    "ntb",
    "ap",
    "reuters",
    "afp",
    "dpa",
}
_ADDRESS_PARTS = re.compile(r"[._+-]")
_NAME_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "du", "la", "le", "del", "af"}


def headline_of(subject: str) -> str:
    """The Subject as a headline: no reply or forward prefixes."""
    return clean_line(_REPLY_PREFIX.sub("", clean_line(subject)))


def is_forward(subject: str) -> bool:
    """Whether the Subject says the mail forwards someone else's ("Fwd:", "FW:", "WG:")."""
    prefix = _REPLY_PREFIX.match(clean_line(subject))
    return prefix is not None and _FORWARD_WORD.search(prefix.group()) is not None


def person_of(from_header: str) -> str | None:
    """The sender's name when it is a person's ("Jane Smith"), not a desk's or a robot's."""
    addresses = getaddresses([from_header])
    if not addresses:
        return None
    name, address = addresses[0]
    name = clean_line(name)
    if "," in name:  # "Smith, Jane"
        last, _, first = name.partition(",")
        name = f"{first.strip()} {last.strip()}"
    words = name.split()
    local = address.split("@", 1)[0].lower()
    if not 2 <= len(words) <= 4 or any(ch.isdigit() or ch in "@/|&" for ch in name):
        return None
    lowered = {w.lower().strip(".") for w in words} | set(_ADDRESS_PARTS.split(local))
    if lowered & _NOT_A_PERSON:
        return None
    if not all(w[:1].isupper() for w in words if w.lower() not in _NAME_PARTICLES):
        return None
    return name


def _without_forward_headers(text: str) -> str:
    """Drop a forwarding block ('---- Forwarded message ----' and its header lines)."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    skipping = False
    for line in lines:
        if _FORWARD_MARKER.match(line.strip()):
            skipping = True
            continue
        if skipping and (_FORWARD_HEADER.match(line.strip()) or not line.strip()):
            skipping = bool(line.strip()) or not kept
            continue
        skipping = False
        kept.append(line)
    return "\n".join(kept)


_SIGNATURE = re.compile(r"\n-- ?\n")


def _without_signature(text: str) -> str:
    # "-- " on its own line opens the signature (RFC 3676); quoted replies are not copy.
    body = _SIGNATURE.split(f"\n{text}", maxsplit=1)[0]
    return "\n".join(line for line in body.split("\n") if not line.startswith(">"))


def _part_text(part: Message, repairs: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    decoded = decode_text(payload, str(part.get("content-type", "")))
    repairs.extend(decoded.repairs)
    return decoded.text


def _filename_suffix(part: Message) -> str:
    name = part.get_filename() or ""
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


_WIRE_SUFFIXES = {".xml", ".nitf", ".json", ".anpa", ".txt", ".ipt", ".7901", ".eml", ".g2"}


def _is_wire_attachment(part: Message, body: Message | None) -> bool:
    """Whether a leaf part is a wire document (checked by its bytes, not only its name)."""
    if part is body:
        return False
    mime = part.get_content_type()
    if mime == MAIL_TYPE:
        return _attached_message(part) is not None
    named = part.get_filename() is not None or part.get_content_disposition() == "attachment"
    if mime in _MIME_FORMATS:
        return True
    textual = mime.startswith("text/") or mime.endswith(("xml", "json"))
    if not named or not (textual or _filename_suffix(part) in _WIRE_SUFFIXES):
        return False
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload.strip():
        return False
    return sniff(decode_text(payload).text, mime) != "text" or looks_like_mail(payload)


def _leaves(message: Message) -> list[Message]:
    """The parts of a message in order, an attached e-mail counting as one part."""
    if message.get_content_type() == MAIL_TYPE or not message.is_multipart():
        return [message]
    payload = message.get_payload()
    parts = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
    return [leaf for part in parts for leaf in _leaves(part)]


def _attached_message(part: Message) -> Message | None:
    payload = part.get_payload()
    if part.get_content_type() == MAIL_TYPE and isinstance(payload, list) and payload:
        inner = payload[0]
        return inner if isinstance(inner, Message) else None
    return None


def _read(item: RawItem, message: Message, depth: int) -> Delivery:
    """The items of one message: its wire attachments, else the message itself."""
    body = message.get_body(("plain", "html")) if isinstance(message, EmailMessage) else None
    parts = _leaves(message) if message.is_multipart() else []
    attachments = [part for part in parts if _is_wire_attachment(part, body)]
    if not attachments or depth >= _MAX_DEPTH:
        repairs: list[str] = []
        return Delivery([attempt(lambda: _story(item, message, body, repairs))], repairs)
    items: list[Outcome] = []
    found: list[str] = []
    for part in attachments:
        inner = _attached_message(part)
        try:
            if inner is not None:
                delivery = _read(item, inner, depth + 1)
            else:
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)  # checked by _is_wire_attachment
                content_type = str(part.get("content-type", ""))
                if part.get_content_type() not in _MIME_FORMATS:
                    content_type = ""  # a generic type says nothing: sniff the bytes
                delivery = parse_delivery(
                    RawItem(payload, content_type, item.source, item.received_at)
                )
        except ParseError as error:
            items.append(error)
            continue
        items.extend(delivery.items)
        found.extend(delivery.repairs)
    return Delivery(items, found)


def _story(item: RawItem, message: Message, body: Message | None, repairs: list[str]) -> Story:
    raw_subject = str(message.get("subject", ""))
    subject = headline_of(raw_subject)
    html = ""
    copy = read_copy(subject, [])
    if body is not None and body.get_content_type() == "text/plain":
        text = _without_signature(_without_forward_headers(_part_text(body, repairs)))
        copy = read_copy(subject, split_paragraphs(text))
        html = paragraphs_to_html(copy.paragraphs)
    elif body is not None:
        html = clean_html(_part_text(body, repairs))
    message_id = clean_line(str(message.get("message-id", ""))).strip("<>")
    uri = message_id or fingerprint_uri("mail", item.source, subject or html[:200])
    created = _date(str(message.get("date", "")))
    return Story(
        uri=uri,
        id=story_id_for(item.source, uri),
        source=item.source,
        version=str(copy.version or 1),
        versioncreated=created or item.received_at,
        firstcreated=created,
        headlines=headlines_for(copy.headline, "", html),
        bodies=[Body(value=html)] if html else [],
        # Whoever forwards a story did not write it.
        by=copy.byline
        or (None if is_forward(raw_subject) else person_of(str(message["from"] or ""))),
        located=copy.located,
        language=clean_line(str(message.get("content-language", ""))) or None,
        correction_note=copy.correction_note or correction_in(subject),
    )


def _date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return parse_date(value)


def read_mail(item: RawItem) -> Delivery:
    """Read an e-mail delivery into its items."""
    message = message_from_bytes(_strip_mbox_line(item.payload.lstrip()), policy=policy.default)
    if not message.keys():
        raise ParseError("invalid_mail", "no mail headers")
    return _read(item, message, 0)
