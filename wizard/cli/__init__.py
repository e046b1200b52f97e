"""The command line: parsing, printing, exit codes (`ha-wizard ...`). The top layer: it starts the app or
plain mode, runs the engine headless, writes exports. `wizard.cli.main:main` is the program's entry."""
