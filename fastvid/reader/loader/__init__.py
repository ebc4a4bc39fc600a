"""fastvid/reader/loader/: a room of fastvid (see docs/ARCHITECTURE.md)."""
