"""labkit.data."""
