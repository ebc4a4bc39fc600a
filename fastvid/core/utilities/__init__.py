"""``flash.core.utilities``."""
