"""``flash.core.data``."""
