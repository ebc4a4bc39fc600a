"""``ImageDecoder``: DALI's image decoder gives the pixels PIL decodes, batch by batch."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from fastvid.reader.dali.images import ImageDecoder
from fastvid.reader.dali.pipeline import DaliRunError


def _encode(image: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=fmt, quality=90)
    return buffer.getvalue()


def test_png_exact_and_batches_of_any_size() -> None:
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (20 + i, 30, 3), dtype=np.uint8) for i in range(5)]
    gray = rng.integers(0, 256, (8, 8), dtype=np.uint8)
    decoder = ImageDecoder()
    for count in (1, 3, 5):
        out = decoder.decode([_encode(image, "PNG") for image in images[:count]])
        assert [o.shape for o in out] == [i.shape for i in images[:count]]
        assert all(np.array_equal(o, i) for o, i in zip(out, images, strict=False))
    (rgb,) = decoder.decode([_encode(gray, "PNG")])
    assert rgb.shape == (8, 8, 3) and np.array_equal(rgb[..., 1], gray)
    assert decoder.decode([]) == []
    decoder.close()


def test_jpeg_close_to_pil() -> None:
    image = np.random.default_rng(1).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    data = _encode(image, "JPEG")
    (ours,) = ImageDecoder().decode([data])
    pil = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert np.abs(ours.astype(int) - pil).max() <= 2


def test_not_an_image() -> None:
    decoder = ImageDecoder()
    with pytest.raises(DaliRunError):
        decoder.decode([b"this is no image"])
    with pytest.raises(ValueError, match="'cpu' or 'gpu'"):
        ImageDecoder(device="cuda:1")  # type: ignore[arg-type]
