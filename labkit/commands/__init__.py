"""The `labkit` sub-commands, one module per feature (see labkit/cli.py)."""
