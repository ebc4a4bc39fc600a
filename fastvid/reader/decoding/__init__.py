"""fastvid/reader/decoding/: a room of fastvid (see docs/ARCHITECTURE.md)."""
