"""Xvid's "packed bitstream": how UCF101's and HMDB51's AVI files store MPEG-4 B-frames.

AVI has one timestamp per chunk and no reordering, so Xvid and DivX shifted each B-frame run
by one chunk: the first B-frame is packed into the chunk of the reference frame before it and
an "N-VOP" (a 6-byte "not coded" frame) fills the run's last slot. Decode order
``I0 P3 B1 B2`` becomes the chunks ``[I0] [P3 B1] [B2] [N-VOP]`` (the layout of UCF101's
files), and keyframes carry the user data ``DivX503b1393p`` ("p": packed), as theirs do.
FFmpeg's MPEG-4 decoder unpacks this itself: each frame carries the timestamp of the chunk it
was decoded at, so timestamps come out of order, as on the real datasets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

import av

__all__ = ["BFramePacker"]

_VOP_START = b"\x00\x00\x01\xb6"
# The user data DivX 5 and Xvid write into keyframes; its final "p" tells decoders the
# bitstream is packed (FFmpeg's decoder otherwise drops the second frame of a chunk).
_PACKED_USER_DATA = b"\x00\x00\x01\xb2DivX503b1393p"


def _is_b_frame(data: bytes) -> bool:
    """Whether the packet's first VOP is a B-VOP (``vop_coding_type`` 2)."""
    at = data.find(_VOP_START)
    return at >= 0 and at + 4 < len(data) and data[at + 4] >> 6 == 2


def _not_coded_vop(increment: int, increment_bits: int) -> bytes:
    """A P-VOP with ``vop_coded`` 0: start code, type, time, markers, byte-align stuffing."""
    bits = "01" + "0" + "1" + format(increment, f"0{increment_bits}b") + "1" + "0"
    bits += "0" + "1" * (-(len(bits) + 1) % 8)
    return _VOP_START + int(bits, 2).to_bytes(len(bits) // 8, "big")


def _slot(packet: av.Packet) -> int:
    """The packet's decode timestamp (its AVI chunk number)."""
    stamp = packet.dts if packet.dts is not None else packet.pts
    if stamp is None:
        raise ValueError("the MPEG-4 encoder wrote a packet without timestamps")
    return int(stamp)


class BFramePacker:
    """Rewrites an MPEG-4 Part 2 packet stream (decode order) into packed-bitstream chunks.

    Args:
        mux: Where finished packets go (``container.mux``).
        stream: The output video stream.
        time_base: The encoder's time base (its denominator sets the VOP time field's width).
    """

    def __init__(
        self, mux: Callable[[av.Packet], None], stream: av.VideoStream, time_base: Fraction
    ) -> None:
        self._mux = mux
        self._stream = stream
        self._resolution = time_base.denominator
        self._bits = max(1, (self._resolution - 1).bit_length())
        self._run: list[av.Packet] = []  # a reference packet and the B-frames after it

    def __call__(self, packets: av.Packet | Sequence[av.Packet]) -> None:
        if isinstance(packets, av.Packet):
            packets = [packets]
        for packet in packets:
            if self._run and not _is_b_frame(bytes(packet)):
                self._flush_run()
            self._run.append(packet)

    def close(self) -> None:
        """Write the last run."""
        if self._run:
            self._flush_run()

    def _flush_run(self) -> None:
        run, self._run = self._run, []
        slots = [_slot(p) for p in run]
        head = bytes(run[0])
        if run[0].is_keyframe:  # before the first VOP, after the sequence headers
            at = max(head.find(_VOP_START), 0)
            head = head[:at] + _PACKED_USER_DATA + head[at:]
        if len(run) == 1:
            payloads = [head]
        else:
            increment = (slots[-1] + 1) % self._resolution
            payloads = [
                head + bytes(run[1]),
                *(bytes(p) for p in run[2:]),
                _not_coded_vop(increment, self._bits),
            ]
        for slot, payload, source in zip(slots, payloads, run, strict=True):
            packet = av.Packet(payload)
            packet.stream = self._stream
            packet.time_base = source.time_base
            packet.dts = packet.pts = slot
            packet.is_keyframe = source.is_keyframe
            self._mux(packet)
