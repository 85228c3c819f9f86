"""Allows `python -m cltui`."""

from cltui.cli import main

raise SystemExit(main())
