"""labkit.telemetry."""
