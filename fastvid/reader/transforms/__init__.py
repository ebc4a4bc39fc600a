"""fastvid/reader/transforms/: a room of fastvid (see docs/ARCHITECTURE.md)."""
