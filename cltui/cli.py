"""Command line entry point (placeholder)."""


def main() -> int:
    return 0
