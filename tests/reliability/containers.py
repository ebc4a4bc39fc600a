"""The structure of MP4 (ISO-BMFF) and Matroska/WebM (EBML) files, for the fuzz mutations.

:func:`mp4_boxes` and :func:`ebml_elements` list a file's boxes / elements (depth first) with
where their type or ID, size field and payload are, as far as the sizes make sense (a damaged
file parses up to the damage).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "EBML_NAMES",
    "MP4_TABLES",
    "Element",
    "ebml_elements",
    "elements_of",
    "is_mp4",
    "mp4_boxes",
]


@dataclass(frozen=True)
class Element:
    """One MP4 box or EBML element.

    Attributes:
        kind: The box type (``"moov"``) or the EBML element's name (``"Cluster"``, or its ID
            in hex when unnamed here).
        start: Offset of its header (size/type for MP4, ID for EBML).
        id_len: Bytes of its type (MP4: 4, at ``start + 4``) or ID (EBML, at ``start``).
        size_at: Offset of its size field.
        size_len: Bytes of its size field (MP4: 4, or 8 for a 64-bit size; EBML: 1-8).
        payload: Offset of its payload.
        end: Offset just past it (clamped to the file).
    """

    kind: str
    start: int
    id_len: int
    size_at: int
    size_len: int
    payload: int
    end: int


_MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf", b"edts", b"udta"}
# Boxes whose children follow a fixed header: stsd (version, flags, entry count), avc1/vp09
# (the visual sample entry's 78 bytes).
_MP4_CHILDREN_AT = {b"stsd": 8, b"avc1": 78, b"vp09": 78}
MP4_TABLES = {b"stco", b"co64", b"stsz", b"stss", b"stts", b"ctts", b"stsc"}


def mp4_boxes(data: bytes, start: int = 0, end: int | None = None) -> list[Element]:
    """Every box of an MP4 file (depth first), as far as the sizes make sense."""
    end = len(data) if end is None else end
    boxes: list[Element] = []
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header, size_len = 8, 4
        if size == 1 and position + 16 <= end:
            size = struct.unpack_from(">Q", data, position + 8)[0]
            header, size_len = 16, 8
        elif size == 0:
            size = end - position
        if size < header:
            break
        stop = min(position + size, end)
        name = kind.decode("latin-1")
        boxes.append(Element(name, position, 4, position, size_len, position + header, stop))
        if kind in _MP4_CONTAINERS:
            boxes += mp4_boxes(data, position + header, stop)
        elif kind in _MP4_CHILDREN_AT:
            boxes += mp4_boxes(data, position + header + _MP4_CHILDREN_AT[kind], stop)
        position += size
    return boxes


EBML_NAMES = {
    0x1A45DFA3: "EBML",
    0x18538067: "Segment",
    0x114D9B74: "SeekHead",
    0x4DBB: "Seek",
    0x1549A966: "Info",
    0x2AD7B1: "TimecodeScale",
    0x4489: "Duration",
    0x1654AE6B: "Tracks",
    0xAE: "TrackEntry",
    0xD7: "TrackNumber",
    0x83: "TrackType",
    0x86: "CodecID",
    0x63A2: "CodecPrivate",
    0xE0: "Video",
    0xB0: "PixelWidth",
    0xBA: "PixelHeight",
    0x1F43B675: "Cluster",
    0xE7: "Timecode",
    0xA3: "SimpleBlock",
    0xA0: "BlockGroup",
    0xA1: "Block",
    0x1C53BB6B: "Cues",
    0xBB: "CuePoint",
    0xB3: "CueTime",
    0xB7: "CueTrackPositions",
    0xF1: "CueClusterPosition",
    0x1254C367: "Tags",
    0x7373: "Tag",
}
_EBML_MASTERS = {
    0x1A45DFA3, 0x18538067, 0x114D9B74, 0x4DBB, 0x1549A966, 0x1654AE6B, 0xAE, 0xE0,
    0x1F43B675, 0xA0, 0x1C53BB6B, 0xBB, 0xB7, 0x1254C367, 0x7373,
}  # fmt: skip


def _vint_length(first: int) -> int:
    """Bytes of an EBML variable-size integer from its first byte (0: invalid)."""
    for length in range(1, 9):
        if first & (0x80 >> (length - 1)):
            return length
    return 0


def ebml_elements(data: bytes, start: int = 0, end: int | None = None) -> list[Element]:
    """Every element of a Matroska/WebM file (depth first), as far as the sizes make sense."""
    end = len(data) if end is None else end
    elements: list[Element] = []
    position = start
    while position < end:
        id_len = _vint_length(data[position])
        if id_len == 0 or id_len > 4 or position + id_len >= end:
            break
        element_id = int.from_bytes(data[position : position + id_len], "big")
        size_at = position + id_len
        size_len = _vint_length(data[size_at])
        if size_len == 0 or size_at + size_len > end:
            break
        raw = int.from_bytes(data[size_at : size_at + size_len], "big")
        value = raw & ((1 << (7 * size_len)) - 1)
        payload = size_at + size_len
        unknown = value == (1 << (7 * size_len)) - 1
        stop = end if unknown else min(payload + value, end)
        name = EBML_NAMES.get(element_id, f"0x{element_id:X}")
        elements.append(Element(name, position, id_len, size_at, size_len, payload, stop))
        if element_id in _EBML_MASTERS:
            elements += ebml_elements(data, payload, stop)
        position = stop
    return elements


def is_mp4(data: bytes) -> bool:
    return data[4:8] == b"ftyp"


def elements_of(data: bytes) -> list[Element]:
    """The file's boxes (MP4) or elements (WebM)."""
    return mp4_boxes(data) if is_mp4(data) else ebml_elements(data)
