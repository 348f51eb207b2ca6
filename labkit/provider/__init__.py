"""labkit.provider."""
