"""labkit.controls."""
