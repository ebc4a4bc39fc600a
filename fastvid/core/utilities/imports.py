"""``flash.core.utilities.imports``: the availability flags Flash's video code and tests read."""

from fastvid._optional import (
    FIFTYONE_AVAILABLE as _FIFTYONE_AVAILABLE,
)
from fastvid._optional import (
    KORNIA_AVAILABLE as _KORNIA_AVAILABLE,
)
from fastvid._optional import (
    PANDAS_AVAILABLE as _PANDAS_AVAILABLE,
)
from fastvid._optional import (
    PIL_AVAILABLE as _PIL_AVAILABLE,
)
from fastvid._optional import (
    PYTORCHVIDEO_AVAILABLE as _PYTORCHVIDEO_AVAILABLE,
)
from fastvid._optional import (
    TOPIC_VIDEO_AVAILABLE as _TOPIC_VIDEO_AVAILABLE,
)
from fastvid._optional import (
    TORCHVISION_AVAILABLE as _TORCHVISION_AVAILABLE,
)
from fastvid._optional import module_available as _module_available

_VIDEO_AVAILABLE = _TOPIC_VIDEO_AVAILABLE  # Flash 0.7's name

__all__ = [
    "_FIFTYONE_AVAILABLE",
    "_KORNIA_AVAILABLE",
    "_PANDAS_AVAILABLE",
    "_PIL_AVAILABLE",
    "_PYTORCHVIDEO_AVAILABLE",
    "_TOPIC_VIDEO_AVAILABLE",
    "_TORCHVISION_AVAILABLE",
    "_VIDEO_AVAILABLE",
    "_module_available",
]
