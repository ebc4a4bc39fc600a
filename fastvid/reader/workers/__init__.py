"""fastvid/reader/workers/: a room of fastvid (see docs/ARCHITECTURE.md)."""
