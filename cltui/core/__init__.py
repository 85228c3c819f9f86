"""The core: configuration, providers, engine and sessions. Never imports Textual."""
