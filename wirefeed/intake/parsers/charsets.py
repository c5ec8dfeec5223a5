"""Reading bytes as the text they are, not the text they claim to be.

Agencies mislabel charsets: an export declares ``iso-8859-1`` while its bytes are
UTF-8 (so "41-årig" would read as "41-Ã¥rig"), or text was decoded wrongly once
upstream and sent on double-encoded. Two repairs are made, and only when they are
certain:

- a declared single-byte charset whose bytes are valid UTF-8 with multibyte sequences
  is read as UTF-8 (``mislabelled_utf8``): stray Latin-1 text is practically never
  valid UTF-8 by chance;
- lines that ftfy judges to be mojibake are re-decoded, and only when its fix is a pure
  "encode as a single-byte charset, decode as UTF-8" round trip (``double_encoded``);
  its other heuristics (lossy sequences, C1 controls) are left out.

The raw payload is never rewritten: the repairs are made each time it is read, and
reported in ``Decoded.repairs`` so intake can log and count them once.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from ftfy import TextFixerConfig, fix_encoding_and_explain
from ftfy.badness import is_bad

from wirefeed.intake.parsers import declared_charset

MISLABELLED_UTF8 = "mislabelled_utf8"
DOUBLE_ENCODED = "double_encoded"

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# Python's canonical names of the single-byte charsets wires declare.
_SINGLE_BYTE_PREFIXES = ("iso8859", "cp125", "ascii", "latin", "mac-", "koi8", "cp437", "cp850")
# Only the encode-then-decode steps of ftfy's fix, none of its lossy guesses.
_CERTAIN_ONLY = TextFixerConfig(
    restore_byte_a0=False,
    replace_lossy_sequences=False,
    decode_inconsistent_utf8=False,
    fix_c1_controls=False,
)


@dataclass(frozen=True)
class Decoded:
    """Text and the repairs made to read it."""

    text: str
    repairs: tuple[str, ...] = ()


def is_single_byte(charset: str) -> bool:
    """Whether a charset name (any spelling Python knows) is a single-byte one."""
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return False
    return name.startswith(_SINGLE_BYTE_PREFIXES)


def _multibyte_utf8(payload: bytes) -> bool:
    if payload.isascii():
        return False
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_certain(explanation: list[tuple[str, str]]) -> bool:
    """A fix made only of (encode single-byte, decode UTF-8) pairs."""
    if not explanation or len(explanation) % 2:
        return False
    pairs = zip(explanation[::2], explanation[1::2], strict=True)
    return all(
        encode[0] == "encode"
        and is_single_byte(encode[1].removeprefix("sloppy-"))
        and decode == ("decode", "utf-8")
        for encode, decode in pairs
    )


def repair_mojibake(text: str) -> tuple[str, int]:
    """The text with double-encoded lines repaired, and how many lines were."""
    if not is_bad(text):
        return text, 0
    lines = text.split("\n")
    repaired = 0
    for index, line in enumerate(lines):
        if not is_bad(line):
            continue
        fixed = fix_encoding_and_explain(line, _CERTAIN_ONLY)
        if fixed.text != line and _is_certain(list(fixed.explanation or [])):
            lines[index] = fixed.text
            repaired += 1
    return "\n".join(lines), repaired


# Labels that, as in browsers (WHATWG Encoding), mean windows-1252: text labelled
# Latin-1 or ASCII is nearly always cp1252, and read as Latin-1 its curly quotes and
# dashes would become C1 control characters.
_CP1252_LABELS = frozenset(
    {"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819"}
    | {"iso-ir-100", "us-ascii", "ascii", "windows-1252"}
)


def decode_text(payload: bytes, content_type: str = "") -> Decoded:
    """Decode bytes: a BOM, else the declared charset unless the bytes are plainly UTF-8,
    else UTF-8, else cp1252; then repair certain mojibake."""
    for bom, codec in _BOMS:
        if payload.startswith(bom):
            text = payload.decode(codec, errors="replace").lstrip("\ufeff")
            return _repaired(text, ())
    declared = declared_charset(payload, content_type)
    if declared and is_single_byte(declared) and _multibyte_utf8(payload):
        return _repaired(payload.decode("utf-8"), (MISLABELLED_UTF8,))
    declared = "cp1252" if declared.lower() in _CP1252_LABELS else declared
    for codec in filter(None, (declared, "utf-8")):
        try:
            return _repaired(payload.decode(codec), ())
        except (UnicodeDecodeError, LookupError):
            continue
    return _repaired(payload.decode("cp1252", errors="replace"), ())


def _repaired(text: str, repairs: tuple[str, ...]) -> Decoded:
    text, lines = repair_mojibake(text)
    return Decoded(text, (*repairs, DOUBLE_ENCODED) if lines else repairs)
