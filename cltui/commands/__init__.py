"""The subcommands of `cltui`: each module exposes `*_main(args) -> int` handlers that
`cltui.cli` imports only when that command runs, so `cltui --help` stays instant."""
