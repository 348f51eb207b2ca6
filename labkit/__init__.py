"""labkit: the Enterprise AI Integration Lab."""
