"""``flash.core.data.io``."""
