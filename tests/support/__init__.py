"""Reusable test helpers: a real local HTTP server and a fake OpenAI-compatible endpoint."""
