"""labkit.roadmap."""
