"""``flash.core.data.utils``."""

from fastvid.data.utils import download_data

__all__ = ["download_data"]
