"""fastvid/reader/planning/: a room of fastvid (see docs/ARCHITECTURE.md)."""
