"""What generated frames show: textured pans, flat colours, a moving object (before stamping)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from fastvid.testing._stamp import MAX_INDEX, stamp_band_height

__all__ = ["CONTENT", "Render"]


_NOISE_BANK = 8  # distinct sensor-noise frames, cycled in a seeded order
_NOISE_LEVEL = 6  # sensor noise in -6..6 (uniform), added without clipping
_LOW, _HIGH = 8, 247  # content range, so noise never over/underflows uint8


def _interp_matrix(n_out: int, n_in: int, step: float) -> np.ndarray:
    """Return the (n_out, n_in) linear-interpolation matrix sampling at ``i / step``."""
    pos = np.arange(n_out) / step
    lo = np.minimum(pos.astype(np.int64), n_in - 2)
    frac = (pos - lo).astype(np.float32)
    matrix = np.zeros((n_out, n_in), dtype=np.float32)
    rows = np.arange(n_out)
    matrix[rows, lo] = 1 - frac
    matrix[rows, lo + 1] = frac
    return matrix


def _value_noise(rng: np.random.Generator, height: int, width: int, cell: float) -> np.ndarray:
    """Smooth random field (height, width) with features about ``cell`` px, unit std."""
    low = rng.standard_normal((int(height / cell) + 2, int(width / cell) + 2), dtype=np.float32)
    field_ = (
        _interp_matrix(height, low.shape[0], cell)
        @ low
        @ _interp_matrix(width, low.shape[1], cell).T
    )
    return field_ / max(float(field_.std()), 1e-6)


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A colourful, natural-looking (height, width, 3) uint8 texture in [_LOW, _HIGH]."""
    scale = max(height, width) / 256
    luma = np.zeros((height, width), dtype=np.float32)
    for cell, weight in ((96, 1.0), (32, 0.7), (10, 0.5), (3, 0.35)):
        luma += weight * _value_noise(rng, height, width, max(2.0, cell * scale**0.5))
    luma += 0.25 * rng.standard_normal((height, width), dtype=np.float32)  # fine grain
    # Hard-edged regions (shadows, objects) like real footage has.
    luma += 1.2 * (_value_noise(rng, height, width, 40 * scale**0.5) > 0.4)
    luma = (luma - luma.mean()) / max(float(luma.std()), 1e-6)
    tint = np.stack([_value_noise(rng, height, width, 120 * scale**0.5) for _ in range(2)], axis=-1)
    base = rng.uniform(0.6, 1.0, size=3).astype(np.float32)
    rgb = 120 + 45 * luma[..., None] * base + 25 * (tint @ rng.uniform(-1, 1, (2, 3)))
    return np.clip(rgb, _LOW, _HIGH).astype(np.uint8)


class _Noise:
    """Per-frame sensor noise, cycled from a small seeded bank (uint8, added modulo 256)."""

    def __init__(self, rng: np.random.Generator, height: int, width: int) -> None:
        bank = rng.integers(-_NOISE_LEVEL, _NOISE_LEVEL + 1, (_NOISE_BANK, height, width, 3))
        self._bank = bank.astype(np.int8).view(np.uint8)
        self._order = rng.integers(0, _NOISE_BANK, size=MAX_INDEX + 1)

    def add(self, frame: np.ndarray, index: int) -> np.ndarray:
        """Return ``frame + noise`` (frame must lie in [_LOW, _HIGH], so nothing wraps)."""
        return np.add(frame, self._bank[self._order[index]], dtype=np.uint8)


def _bounce(start: float, step: float, span: int, count: int) -> np.ndarray:
    """Integer positions start + step*i, reflected to stay within [0, span]."""
    pos = start + step * np.arange(count)
    if span <= 0:
        return np.zeros(count, dtype=np.int64)
    period = 2 * span
    pos = np.mod(pos, period)
    pos = np.where(pos > span, period - pos, pos)
    return np.rint(pos).astype(np.int64)


_MAX_PAN_SPAN = 480  # px of texture beyond the frame; longer pans bounce back


Render = Callable[[int], np.ndarray]  # frame number -> (H, W, 3) uint8 content, unstamped


def _textured(
    rng: np.random.Generator, width: int, height: int, count: int, motion: tuple[float, float]
) -> Render:
    if motion == (0.0, 0.0):
        angle = rng.uniform(0, 2 * np.pi)
        speed = rng.uniform(1.0, 2.0) * max(1.0, width / 640)
        motion = (speed * math.cos(angle), speed * math.sin(angle))
    spans = [min(_MAX_PAN_SPAN, math.ceil(abs(v) * (count - 1))) for v in motion]
    texture = _texture(rng, height + spans[1], width + spans[0])
    xs = _bounce(rng.uniform(0, spans[0]) if spans[0] else 0, motion[0], spans[0], count)
    ys = _bounce(rng.uniform(0, spans[1]) if spans[1] else 0, motion[1], spans[1], count)
    noise = _Noise(rng, height, width)

    def render(i: int) -> np.ndarray:
        crop = texture[ys[i] : ys[i] + height, xs[i] : xs[i] + width]
        return noise.add(crop, i)

    return render


def _flat(
    rng: np.random.Generator, width: int, height: int, count: int, motion: tuple[float, float]
) -> Render:
    start = rng.uniform(40, 200, size=3).astype(np.float32)
    gx = rng.uniform(-40, 40, size=3).astype(np.float32)
    gy = rng.uniform(-40, 40, size=3).astype(np.float32)
    drift = rng.uniform(-0.5, 0.5, size=3).astype(np.float32)
    x = np.linspace(-1, 1, width, dtype=np.float32)[None, :, None]
    y = np.linspace(-1, 1, height, dtype=np.float32)[:, None, None]
    gradient = gx * x + gy * y

    def render(i: int) -> np.ndarray:
        base = start + drift * ((i % 200) - 100)
        return np.clip(base + gradient, _LOW, _HIGH).astype(np.uint8)

    return render


def _moving_object(
    rng: np.random.Generator, width: int, height: int, count: int, motion: tuple[float, float]
) -> Render:
    background = (_texture(rng, height, width) * 0.55 + 10).astype(np.uint8)  # dim: object pops
    noise = _Noise(rng, height, width)
    top = stamp_band_height(width, height)
    area_h = height - top
    radius = max(4.0, min(width, area_h) / 7)
    colour = np.array([255, 235, 90], dtype=np.float32)  # bright yellow
    # The path passes near the centre at mid-clip (seeded jitter), so a short clip shows the
    # whole object moving; a long one wraps around the edges, keeping its direction.
    jitter = rng.uniform(-0.15, 0.15, size=2)
    cx0 = width * (0.5 + jitter[0]) - motion[0] * (count - 1) / 2
    cy0 = area_h * (0.5 + jitter[1]) - motion[1] * (count - 1) / 2
    reach = math.ceil(radius) + 1
    offsets = np.arange(-reach, reach + 1)

    def render(i: int) -> np.ndarray:
        frame = noise.add(background, i)
        cx, cy = cx0 + motion[0] * i, cy0 + motion[1] * i
        # Draw with wrap-around so the object never leaves the frame.
        xs = (math.floor(cx) + offsets) % width
        ys = (math.floor(cy) + offsets) % area_h
        dx = math.floor(cx) + offsets - cx
        dy = math.floor(cy) + offsets - cy
        alpha = np.clip(radius + 0.5 - np.hypot(dy[:, None], dx[None, :]), 0, 1)[..., None]
        region = np.ix_(ys + top, xs)
        patch = frame[region].astype(np.float32)
        frame[region] = (patch * (1 - alpha) + np.minimum(colour, _HIGH) * alpha).astype(np.uint8)
        return frame

    return render


CONTENT: dict[str, Callable[..., Render]] = {
    "textured": _textured,
    "flat": _flat,
    "motion": _moving_object,
}
