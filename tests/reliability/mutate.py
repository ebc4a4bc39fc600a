"""Mutations of valid MP4 and WebM files, for the fuzz tests (``test_fuzz.py``).

Random bytes mostly land in the compressed payload and prove little about a container parser,
so most mutations here know the container's structure:

* MP4 (ISO-BMFF): a box's size or type is rewritten (``moov``, ``trak``, ``stbl``, ``stco``,
  ``stsz``, ``stss``, ...), an entry or the entry count of a sample table is changed, or a
  whole box is duplicated or deleted;
* WebM (EBML): an element's size is rewritten in place (same length, or an invalid length
  marker, or "unknown size"), its ID is changed, a SimpleBlock's timecode, track or flags
  (the keyframe bit) are changed, or a whole element is duplicated or deleted;

and the generic ones: bit flips (anywhere, or in the container's header), a run of bytes
overwritten, truncation at a random point, a chunk of bytes duplicated or deleted.

Every mutation is a function ``(data, rng) -> (data, description)`` of the file's bytes and a
``random.Random``: the same seed gives the same bytes (``mutate``), and Hypothesis can drive the
same functions through ``st.randoms()`` so a failing case shrinks.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable

from tests.reliability.containers import (
    EBML_NAMES,
    MP4_TABLES,
    Element,
    ebml_elements,
    elements_of,
    is_mp4,
    mp4_boxes,
)

__all__ = ["MUTATIONS", "mutate"]

Mutation = Callable[[bytes, random.Random], tuple[bytes, str]]


# ------------------------------------------------------------------------------- mutations


def _pick(
    rng: random.Random, elements: list[Element], kinds: set[str] | None = None
) -> Element | None:
    chosen = [e for e in elements if kinds is None or e.kind in kinds] or elements
    return rng.choice(chosen) if chosen else None


def _header_end(data: bytes) -> int:
    """Where the container's structure ends: MP4's boxes but ``mdat``; WebM's first Cluster."""
    if is_mp4(data):
        return len(data)
    first = data.find(b"\x1f\x43\xb6\x75")
    return min(len(data), first + 64 if first > 0 else 4096)


def bit_flips(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """1-8 random bits flipped anywhere."""
    out = bytearray(data)
    where = [rng.randrange(len(out)) for _ in range(rng.randint(1, 8))]
    for i in where:
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out), f"bit_flips@{where}"


def header_bit_flips(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """1-4 bits flipped in the container's structure (MP4: not in ``mdat``; WebM: before
    the first cluster's payload)."""
    out = bytearray(data)
    if is_mp4(data):
        spans = [(e.start, e.end) for e in mp4_boxes(data) if e.kind not in ("mdat", "moov")]
        spans = [s for s in spans if s[1] > s[0]] or [(0, len(data))]
    else:
        spans = [(0, _header_end(data))]
    where = []
    for _ in range(rng.randint(1, 4)):
        low, high = rng.choice(spans)
        where.append(rng.randrange(low, high))
        out[where[-1]] ^= 1 << rng.randrange(8)
    return bytes(out), f"header_bit_flips@{where}"


def byte_run(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A run of 1-64 bytes overwritten with zeros, 0xFF or random bytes."""
    length = rng.randint(1, 64)
    start = rng.randrange(len(data))
    fill = rng.choice(["zeros", "ones", "random"])
    run = {
        "zeros": b"\x00" * length,
        "ones": b"\xff" * length,
        "random": bytes(rng.randrange(256) for _ in range(length)),
    }[fill]
    out = data[:start] + run + data[start + length :]
    return out[: len(data)], f"byte_run({fill})@{start}+{length}"


def truncate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """The file cut at a random point."""
    if len(data) < 2:
        return bit_flips(data, rng)
    cut = rng.randrange(1, len(data))
    return data[:cut], f"truncate@{cut}/{len(data)}"


def chunk_duplicate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A chunk of bytes copied to another place (inserted)."""
    start = rng.randrange(len(data))
    length = rng.randint(1, max(1, len(data) // 8))
    chunk = data[start : start + length]
    at = rng.randrange(len(data) + 1)
    return data[:at] + chunk + data[at:], f"chunk_duplicate({start}+{length})@{at}"


def chunk_delete(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A chunk of bytes removed."""
    start = rng.randrange(len(data))
    length = rng.randint(1, max(1, len(data) // 8))
    return data[:start] + data[start + length :], f"chunk_delete@{start}+{length}"


def element_duplicate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A whole box/element inserted again right after itself (two ``trak``s, two blocks...)."""
    element = _pick(rng, elements_of(data))
    if element is None:
        return chunk_duplicate(data, rng)
    copy = data[element.start : element.end]
    return data[: element.end] + copy + data[element.end :], f"duplicate {element.kind}"


def element_delete(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A whole box/element removed (its parents' sizes are left as they were)."""
    element = _pick(rng, elements_of(data))
    if element is None:
        return chunk_delete(data, rng)
    return data[: element.start] + data[element.end :], f"delete {element.kind}"


def _new_size(rng: random.Random, size: int, file_size: int, bits: int) -> int:
    top = (1 << bits) - 1
    choices = [0, 1, 7, 8, size - 1, size + 1, size // 2, size * 2, top, file_size,
               rng.randrange(top + 1)]  # fmt: skip
    return min(max(0, rng.choice(choices)), top)


def mp4_box_size(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """An MP4 box's size rewritten (0, 1 = 64-bit follows, too small, off by one, huge...)."""
    if not is_mp4(data):
        return ebml_size(data, rng)
    kinds = {"moov", "trak", "mdia", "minf", "stbl", "stsd", "avcC", "mdat"}
    box = _pick(rng, mp4_boxes(data), kinds | {t.decode() for t in MP4_TABLES})
    if box is None:
        return bit_flips(data, rng)
    out = bytearray(data)
    old = int.from_bytes(out[box.size_at : box.size_at + 4], "big")
    new = _new_size(rng, box.end - box.start, len(data), 32)
    out[box.size_at : box.size_at + 4] = new.to_bytes(4, "big")
    return bytes(out), f"mp4 {box.kind}@{box.start} size {old}->{new}"


def mp4_box_type(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """An MP4 box's type changed to another known type, ``free`` or random letters."""
    if not is_mp4(data):
        return ebml_id(data, rng)
    box = _pick(rng, mp4_boxes(data))
    if box is None:
        return bit_flips(data, rng)
    new = rng.choice([b"free", b"moov", b"trak", b"mdat", b"stco", b"co64", b"stss", b"stsz",
                      bytes(rng.randrange(97, 123) for _ in range(4))])  # fmt: skip
    out = bytearray(data)
    out[box.start + 4 : box.start + 8] = new
    return bytes(out), f"mp4 {box.kind}@{box.start} type -> {new.decode('latin-1')}"


def mp4_table(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A sample table (stco, co64, stsz, stss, stts, ctts, stsc): its entry count or one entry
    changed (0, off by one, the maximum, random, a neighbour's value)."""
    if not is_mp4(data):
        return webm_block(data, rng)
    tables = [b for b in mp4_boxes(data) if b.kind.encode() in MP4_TABLES]
    if not tables:
        return bit_flips(data, rng)
    box = rng.choice(tables)
    count_at = box.payload + (8 if box.kind == "stsz" else 4)
    if count_at + 4 > box.end:
        return bit_flips(data, rng)
    out = bytearray(data)
    count = int.from_bytes(out[count_at : count_at + 4], "big")
    if count == 0 or rng.random() < 0.3:
        new = rng.choice([0, max(0, count - 1), count + 1, 0xFFFFFFFF, rng.randrange(1 << 32)])
        out[count_at : count_at + 4] = new.to_bytes(4, "big")
        return bytes(out), f"mp4 {box.kind} entry count {count}->{new}"
    width = 8 if box.kind == "co64" else 4
    entries = count_at + 4
    field = entries + width * rng.randrange(max(1, min(count, (box.end - entries) // width)))
    if field + width > box.end:
        return bit_flips(data, rng)
    old = int.from_bytes(out[field : field + width], "big")
    top = (1 << (8 * width)) - 1
    neighbour = int.from_bytes(out[entries : entries + width], "big")
    new = rng.choice([0, old + 1, max(0, old - 1), top, neighbour, rng.randrange(top + 1)])
    out[field : field + width] = min(new, top).to_bytes(width, "big")
    return bytes(out), f"mp4 {box.kind} entry@{field} {old}->{new}"


def ebml_size(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """An EBML element's size rewritten in place: another value of the same length, "unknown
    size" (all ones), or an invalid length marker (a zero first byte)."""
    if is_mp4(data):
        return mp4_box_size(data, rng)
    element = _pick(rng, ebml_elements(data), {"Segment", "Info", "Tracks", "TrackEntry",
                    "Video", "CodecPrivate", "Cluster", "SimpleBlock", "BlockGroup", "Cues",
                    "SeekHead", "Timecode", "PixelWidth"})  # fmt: skip
    if element is None:
        return bit_flips(data, rng)
    out = bytearray(data)
    length = element.size_len
    how = rng.choice(["value", "value", "unknown", "invalid"])
    if how == "invalid":
        out[element.size_at] = 0
        return bytes(out), f"ebml {element.kind}@{element.start} size invalid marker"
    bits = 7 * length
    value = (
        (1 << bits) - 1
        if how == "unknown"
        else _new_size(rng, element.end - element.payload, len(data), bits)
    )
    encoded = (1 << bits) | value  # the length marker bit, then the value
    out[element.size_at : element.size_at + length] = encoded.to_bytes(length, "big")
    return bytes(out), f"ebml {element.kind}@{element.start} size -> {how} {value}"


def ebml_id(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """An EBML element's ID changed (to another known ID of the same length, or random)."""
    if is_mp4(data):
        return mp4_box_type(data, rng)
    element = _pick(rng, ebml_elements(data))
    if element is None:
        return bit_flips(data, rng)
    same = [i for i in EBML_NAMES if (i.bit_length() + 7) // 8 == element.id_len]
    new_id = rng.choice(same) if same and rng.random() < 0.7 else None
    out = bytearray(data)
    if new_id is None:
        out[element.start] = rng.randrange(256)
        return bytes(out), f"ebml {element.kind}@{element.start} id byte -> {out[element.start]}"
    out[element.start : element.start + element.id_len] = new_id.to_bytes(element.id_len, "big")
    return bytes(out), f"ebml {element.kind}@{element.start} id -> {EBML_NAMES[new_id]}"


def webm_block(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A SimpleBlock's header changed: its timecode (int16, relative to the cluster), track
    number or flags (the keyframe bit, lacing), or a Cluster's Timecode."""
    if is_mp4(data):
        return mp4_table(data, rng)
    elements = ebml_elements(data)
    blocks = [e for e in elements if e.kind == "SimpleBlock" and e.end - e.payload >= 4]
    timecodes = [e for e in elements if e.kind == "Timecode"]
    if not blocks:
        return bit_flips(data, rng)
    out = bytearray(data)
    what = rng.choice(["timecode", "timecode", "flags", "track", "cluster"])
    if what == "cluster" and timecodes:
        element = rng.choice(timecodes)
        width = element.end - element.payload
        new = rng.randrange(1 << (8 * width)) if width else 0
        out[element.payload : element.end] = new.to_bytes(width, "big")
        return bytes(out), f"webm Cluster Timecode@{element.start} -> {new}"
    block = rng.choice(blocks)
    if what == "flags":
        flags = block.payload + 1 + 2
        new = out[flags] ^ rng.choice([0x80, 0x06, 0x02, 0x01, 0x08])
        out[flags] = new
        return bytes(out), f"webm SimpleBlock@{block.start} flags -> 0x{new:02X}"
    if what == "track":
        out[block.payload] = rng.choice([0x82, 0x80, 0x00, 0xFF, 0x40])
        return bytes(out), f"webm SimpleBlock@{block.start} track byte -> {out[block.payload]}"
    old = struct.unpack_from(">h", out, block.payload + 1)[0]
    new = rng.choice([0, old + 1, old - 1, -old, 32767, -32768, rng.randrange(-32768, 32768)])
    new = max(-32768, min(32767, new))
    struct.pack_into(">h", out, block.payload + 1, new)
    return bytes(out), f"webm SimpleBlock@{block.start} timecode {old}->{new}"


MUTATIONS: dict[str, tuple[Mutation, int]] = {
    # name: (mutation, weight); structure-aware ones weigh more
    "bit_flips": (bit_flips, 2),
    "header_bit_flips": (header_bit_flips, 3),
    "byte_run": (byte_run, 2),
    "truncate": (truncate, 2),
    "chunk_duplicate": (chunk_duplicate, 1),
    "chunk_delete": (chunk_delete, 1),
    "element_duplicate": (element_duplicate, 2),
    "element_delete": (element_delete, 2),
    "box_or_ebml_size": (mp4_box_size, 4),
    "box_or_ebml_id": (mp4_box_type, 2),
    "table_or_block": (mp4_table, 4),
}


def mutate(data: bytes, rng: random.Random, *, max_mutations: int = 2) -> tuple[bytes, str]:
    """1 to ``max_mutations`` mutations of ``data``, chosen by weight; never empty bytes."""
    names = list(MUTATIONS)
    weights = [MUTATIONS[n][1] for n in names]
    descriptions = []
    for _ in range(rng.randint(1, max_mutations)):
        function = MUTATIONS[rng.choices(names, weights)[0]][0]
        mutated, description = function(data, rng)
        if mutated:
            data = mutated
            descriptions.append(description)
    return data, "; ".join(descriptions)
