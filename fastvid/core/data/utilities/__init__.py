"""``flash.core.data.utilities``."""
