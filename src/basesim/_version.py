"""The package version, in one place (read by provenance records and sweeps)."""

__version__ = "0.1.0"
