"""The Textual user interface: renders the engine's events; never builds HTTP requests."""
