"""fastvid/integrations/lightning/: a room of fastvid (see docs/ARCHITECTURE.md)."""
