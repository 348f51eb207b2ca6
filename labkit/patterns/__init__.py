"""labkit.patterns."""
