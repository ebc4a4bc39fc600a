"""fastvid/integrations/pytorchvideo/: a room of fastvid (see docs/ARCHITECTURE.md)."""
