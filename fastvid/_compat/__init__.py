"""Compatibility shims for third-party packages (one job each)."""
