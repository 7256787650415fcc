"""The TOML configuration: loading, validation (every problem at once), durations, key sources."""
