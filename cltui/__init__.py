"""cltui: consensus learning across several language models, in the terminal.

This module stays import-light on purpose: `cltui --help` and the headless commands must not pay
for importing Textual.
"""

__version__ = "0.1.0"
