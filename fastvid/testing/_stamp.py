"""Write a frame's index into its pixels, and read it back after lossy coding.

The stamp is a grid of flat black/white cells across the top band of the frame, laid out from the
frame size alone (so a reader needs nothing but the decoded frame)::

    row 0:  [W][B][ b0 ][ b1 ] ... [ bk ][B]     W/B: calibration (white, black); last cell black
    row 1:  [ bk+1 ] ... [ b11 ][B][B]           only when the frame is narrower than 16 cells

Cells are at least 8x8 px and grow with the frame width (at most ``_MAX_COLS`` cells per row span
the full width). Reading takes the mean of each cell's inner half, thresholds it halfway between
the calibration levels and checks that every cell is decisively black or white, so an unstamped,
flipped or badly damaged frame raises ``ValueError`` instead of returning a wrong index.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import torch

__all__ = ["BITS", "MAX_INDEX", "read_frame_index", "stamp_band_height", "stamp_frame_index"]

BITS = 12
"""Number of index bits in a stamp."""
MAX_INDEX = 2**BITS - 1
"""The largest index a stamp can carry (4095: over two minutes at 30 fps)."""

_MIN_CELL = 8  # px: one DCT block, so codecs keep a cell's mean
_MAX_COLS = 16  # cells per row; wider frames get wider cells
_HEAD = (1, 0)  # calibration: white, black
_TAIL = 0  # last cell of row 0 is black, so a mirrored row starts with black, not white
_MIN_CONTRAST = 64.0  # white - black, in 0..255
_MARGIN = 0.3  # a cell must be within this fraction of the contrast of black or white
_WHITE = 255
_BLACK = 0


class _Layout(NamedTuple):
    col_edges: np.ndarray  # int, cols + 1 column boundaries spanning the full width
    cell_height: int
    rows: int

    @property
    def cols(self) -> int:
        return len(self.col_edges) - 1

    @property
    def height(self) -> int:
        return self.rows * self.cell_height


def _layout(width: int, height: int) -> _Layout:
    cols = min(_MAX_COLS, width // _MIN_CELL)
    if cols < 4:
        raise ValueError(
            f"frame width ({width}) is too small for a frame-index stamp: "
            f"need >= {4 * _MIN_CELL} px"
        )
    cells = len(_HEAD) + BITS + 1
    rows = 1 + max(0, -(-(cells - cols) // cols))
    cell_width = width // cols
    # Keep the band within ~1/8 of the height where the 8 px minimum allows it.
    cell_height = max(_MIN_CELL, min(cell_width, height // (8 * rows)))
    if rows * cell_height > height // 2:
        raise ValueError(
            f"frame height ({height}) is too small for a frame-index stamp of "
            f"{rows * cell_height} px: need >= {2 * rows * cell_height} px"
        )
    col_edges = np.round(np.arange(cols + 1) * (width / cols)).astype(np.int64)
    return _Layout(col_edges, cell_height, rows)


def _cell_values(index: int, layout: _Layout) -> np.ndarray:
    """Return the (rows, cols) 0/1 cell grid for ``index``."""
    bits = [(index >> b) & 1 for b in range(BITS - 1, -1, -1)]  # most significant first
    grid = np.zeros((layout.rows, layout.cols), dtype=np.uint8)
    first_row = layout.cols - len(_HEAD) - 1  # payload cells in row 0
    grid[0, : len(_HEAD)] = _HEAD
    grid[0, len(_HEAD) : len(_HEAD) + min(first_row, BITS)] = bits[:first_row]
    grid[0, -1] = _TAIL
    rest = bits[first_row:]
    if rest:
        grid.reshape(-1)[layout.cols : layout.cols + len(rest)] = rest
    return grid


def stamp_band_height(width: int, height: int) -> int:
    """Return the height in pixels of the stamp band for a ``width`` x ``height`` frame.

    Content below this row is untouched by :func:`stamp_frame_index`.

    Args:
        width: Frame width in pixels.
        height: Frame height in pixels.
    """
    return _layout(width, height).height


def _validate_index(index: int) -> None:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"index must be an int, got {type(index).__name__}")
    if not 0 <= index <= MAX_INDEX:
        raise ValueError(f"index ({index}) must be in [0, {MAX_INDEX}] ({BITS}-bit stamp)")


def stamp_frame_index(frame: np.ndarray, index: int) -> None:
    """Write ``index`` into the top band of ``frame``, in place.

    Args:
        frame: An ``(H, W, 3)`` ``uint8`` RGB frame, at least 32 px wide; modified in place.
        index: The value to stamp, ``0 <= index <= MAX_INDEX``.

    Raises:
        TypeError: If ``frame`` is not a ``uint8`` numpy array or ``index`` is not an int.
        ValueError: If ``frame`` is not ``(H, W, 3)``, is too small, or ``index`` is out of range.
    """
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
        raise TypeError(
            f"frame must be a uint8 numpy array, got {type(frame).__name__}"
            f"{'' if not isinstance(frame, np.ndarray) else ' of ' + str(frame.dtype)}"
        )
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"frame must have shape (H, W, 3), got {frame.shape}")
    _validate_index(index)
    height, width = frame.shape[:2]
    layout = _layout(width, height)
    grid = _cell_values(int(index), layout)
    edges = layout.col_edges
    ch = layout.cell_height
    for r in range(layout.rows):
        # One row of pixel values, then broadcast down the row of cells.
        row = np.repeat(grid[r], np.diff(edges)) * np.uint8(_WHITE - _BLACK) + np.uint8(_BLACK)
        frame[r * ch : (r + 1) * ch, :, :] = row[None, :, None]


def _band_gray(
    frame: np.ndarray | torch.Tensor, layout_name: Literal["HWC", "CHW"]
) -> tuple[np.ndarray, int, int]:
    """Return (gray band as float32 (h, W), H, W) of a frame in either layout."""
    if not isinstance(frame, (np.ndarray, torch.Tensor)):
        raise TypeError(f"frame must be a numpy array or torch tensor, got {type(frame).__name__}")
    if layout_name not in _CHANNEL_AXIS:
        raise ValueError(f"layout ({layout_name!r}) must be one of {sorted(_CHANNEL_AXIS)}")
    if frame.ndim != 3:
        raise ValueError(
            f"frame must have 3 dimensions ({layout_name}), got shape {tuple(frame.shape)}"
        )
    axis = _CHANNEL_AXIS[layout_name]
    if frame.shape[axis] not in (1, 3):
        raise ValueError(
            f"frame of shape {tuple(frame.shape)} does not look like {layout_name}: "
            f"expected 1 or 3 channels on axis {axis}"
        )
    height, width = (frame.shape[0], frame.shape[1]) if axis == 2 else frame.shape[1:]
    band = _layout(width, height).height
    part = frame[:band] if axis == 2 else frame[:, :band]
    if isinstance(part, torch.Tensor):
        array = part.detach().to("cpu", torch.float32).numpy()
    else:
        array = part.astype(np.float32)
    return array.mean(axis=axis), height, width


_CHANNEL_AXIS: dict[str, int] = {"HWC": 2, "CHW": 0}


def read_frame_index(
    frame: np.ndarray | torch.Tensor, *, layout: Literal["HWC", "CHW"] = "HWC"
) -> int:
    """Read the index that :func:`stamp_frame_index` wrote, from a decoded frame.

    Works on frames that went through lossy coding (H.264, HEVC, MPEG-4, VP8/9, MJPEG at moderate
    quality, 4:2:0 chroma) as long as they are not rescaled or cropped.

    Args:
        frame: A decoded RGB (or single-channel) frame, ``uint8`` or float with values in
            ``0..255``, as a numpy array or torch tensor (any device).
        layout: Axis order of ``frame``: ``"HWC"`` or ``"CHW"``. Default: ``"HWC"``.

    Returns:
        The stamped index.

    Raises:
        ValueError: If the calibration cells are not found (the frame is not stamped, is flipped
            horizontally, was rescaled or cropped) or a cell is neither black nor white.
    """
    gray, height, width = _band_gray(frame, layout)
    grid_layout = _layout(width, height)
    edges = grid_layout.col_edges
    ch = grid_layout.cell_height
    means = np.empty((grid_layout.rows, grid_layout.cols), dtype=np.float64)
    dy = max(1, ch // 4)
    for c in range(grid_layout.cols):
        x0, x1 = int(edges[c]), int(edges[c + 1])
        dx = max(1, (x1 - x0) // 4)
        for r in range(grid_layout.rows):
            means[r, c] = gray[r * ch + dy : (r + 1) * ch - dy, x0 + dx : x1 - dx].mean()
    white, black = means[0, 0], means[0, 1]
    if white - black < _MIN_CONTRAST:
        raise ValueError(
            f"frame-index calibration cells not found (white {white:.0f}, black {black:.0f}, "
            f"need a contrast >= {_MIN_CONTRAST:.0f}): the frame is not stamped, or was flipped "
            "horizontally, rescaled or cropped"
        )
    levels = (means - black) / (white - black)
    undecided = np.argwhere((levels > _MARGIN) & (levels < 1 - _MARGIN))
    if len(undecided):
        r, c = undecided[0]
        raise ValueError(
            f"frame-index cell (row {r}, column {c}) is neither black nor white "
            f"(level {levels[r, c]:.2f} between black 0 and white 1): the frame is not stamped, "
            "or is damaged by coding, rescaling or cropping"
        )
    observed = (levels >= 0.5).astype(np.uint8)
    index = _decode_grid(observed, grid_layout)
    if not np.array_equal(observed, _cell_values(index, grid_layout)):
        raise ValueError(
            "frame-index stamp is malformed (marker or padding cells are wrong): the frame is "
            "not stamped, or was flipped horizontally, rescaled or cropped"
        )
    return index


def _decode_grid(grid: np.ndarray, layout: _Layout) -> int:
    first_row = layout.cols - len(_HEAD) - 1
    bits = list(grid[0, len(_HEAD) : len(_HEAD) + min(first_row, BITS)])
    rest = BITS - len(bits)
    if rest > 0:
        bits += list(grid.reshape(-1)[layout.cols : layout.cols + rest])
    index = 0
    for bit in bits:
        index = (index << 1) | int(bit)
    return index
