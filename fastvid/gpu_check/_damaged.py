"""The damaged run's checks: intact clips all delivered, damaged ones skipped or exact.

The damaged fixtures are copies whose packets from frame ``damage_from`` on are overwritten; a
clip that needs one of those frames may be skipped (with a reason) or delivered if the decoder
conceals the damage, but only ever with its planned frames, and it must not cost the clips
around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastvid.gpu_check._collect import ClipRecord

__all__ = ["damaged_clips", "damaged_problems"]


def damaged_clips(plan: Sequence[Any], first_bad: dict[str, int]) -> frozenset[tuple[Any, ...]]:
    """Identities of the planned clips that need a damaged frame (``first_bad``: per path)."""
    return frozenset(
        (Path(r.path).name, r.video_index, r.clip_index, r.aug_index, r.label)
        for r in plan
        if r.path in first_bad and max(int(i) for i in r.frame_indices) >= first_bad[r.path]
    )


def damaged_problems(
    plan: Sequence[Any],
    records: Sequence[ClipRecord],
    skipped: Sequence[Any],
    first_bad: dict[str, int],
) -> tuple[list[str], dict[str, Any]]:
    """Checks of the damaged run on one device, and what happened to each damaged clip.

    Every clip that needs no damaged frame is delivered, in plan order, with the planned
    frames; a damaged clip is either skipped with a reason or delivered with exactly the
    planned frames (a decoder may conceal the damage), never with other or unreadable frames.
    """
    bad = damaged_clips(plan, first_bad)
    expected = [
        (Path(r.path).name, r.video_index, r.clip_index, r.aug_index, r.label) for r in plan
    ]
    wanted = {
        identity: [int(i) for i in r.frame_indices]
        for identity, r in zip(expected, plan, strict=True)
    }
    delivered = {r.identity: r for r in records}
    problems: list[str] = []
    good_order = [r.identity for r in records if r.identity not in bad]
    if good_order != [i for i in expected if i not in bad]:
        problems.append(
            f"intact clips delivered {len(good_order)} of "
            f"{sum(1 for i in expected if i not in bad)} (or out of order)"
        )
    skipped_by_clip = {(Path(s.path).name, s.clip_index): s.reason for s in skipped}
    outcome: dict[str, Any] = {}
    for identity in expected:
        record = delivered.get(identity)
        key = f"{identity[0]} clip {identity[2]}"
        if record is not None and record.stamps != wanted[identity]:
            problems.append(f"{key}: delivered frames {record.stamps}, planned {wanted[identity]}")
        if identity not in bad:
            continue
        if record is not None:
            outcome[key] = "delivered with the planned frames"
        elif (identity[0], identity[2]) in skipped_by_clip:
            outcome[key] = "skipped: " + str(skipped_by_clip[(identity[0], identity[2])])[:200]
        else:
            problems.append(f"{key}: neither delivered nor recorded in loader.skipped")
    extra = [
        f"{s.path}: {s.reason}"
        for s in skipped
        if (Path(s.path).name, s.clip_index) not in {(i[0], i[2]) for i in bad}
    ]
    problems += [f"skipped an intact clip: {e}" for e in extra[:3]]
    return problems, outcome
