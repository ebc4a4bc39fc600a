"""fastvid/integrations/flash/: a room of fastvid (see docs/ARCHITECTURE.md)."""
