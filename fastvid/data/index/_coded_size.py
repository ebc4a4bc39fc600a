"""The frame size a VP8/VP9 keyframe codes, read from its header bytes (no decoding).

Matroska/WebM states a track's size in its header (``PixelWidth``/``PixelHeight``) and FFmpeg
reports that size for the stream. Decoders use the size coded in each keyframe; DALI's decoder
allocates frames of the container's size. When the two differ (a damaged header), DALI returns
wrong pixels without an error, so the probe compares them on the first keyframe.
"""

from __future__ import annotations

__all__ = ["keyframe_size"]


class _Bits:
    """Big-endian bit reader (VP9's uncompressed header)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def read(self, count: int) -> int:
        value = 0
        for _ in range(count):
            byte = self.position >> 3
            if byte >= len(self.data):
                raise EOFError
            value = (value << 1) | ((self.data[byte] >> (7 - (self.position & 7))) & 1)
            self.position += 1
        return value


def _vp9_size(data: bytes) -> tuple[int, int] | None:
    # VP9 bitstream specification, 6.2 uncompressed_header(), for a key frame
    bits = _Bits(data)
    if bits.read(2) != 2:  # frame_marker
        return None
    profile = bits.read(1) | (bits.read(1) << 1)
    if profile == 3:
        bits.read(1)  # reserved_zero
    if bits.read(1):  # show_existing_frame
        return None
    if bits.read(1) != 0:  # frame_type: 0 is KEY_FRAME
        return None
    bits.read(2)  # show_frame, error_resilient_mode
    if bits.read(24) != 0x498342:  # frame_sync_code
        return None
    if profile >= 2:
        bits.read(1)  # ten_or_twelve_bit
    if bits.read(3) != 7:  # color_space other than CS_RGB
        bits.read(1)  # color_range
        if profile in (1, 3):
            bits.read(3)  # subsampling_x, subsampling_y, reserved_zero
    elif profile in (1, 3):
        bits.read(1)  # reserved_zero
    width = bits.read(16) + 1
    height = bits.read(16) + 1
    return width, height


def _vp8_size(data: bytes) -> tuple[int, int] | None:
    # RFC 6386, 9.1: a key frame's 3-byte tag, start code 9d 01 2a, 14-bit width and height
    if len(data) < 10 or data[0] & 1 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return width, height


def keyframe_size(codec: str, data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` coded in a VP8/VP9 keyframe packet, or ``None``.

    Args:
        codec: FFmpeg codec name; only ``"vp8"`` and ``"vp9"`` are read.
        data: The keyframe packet's bytes (a VP9 superframe's first frame is read).

    Returns:
        The coded size, or ``None`` for another codec or a header that is not a keyframe's.
    """
    try:
        if codec == "vp9":
            return _vp9_size(data)
        if codec == "vp8":
            return _vp8_size(data)
    except EOFError:
        return None
    return None
