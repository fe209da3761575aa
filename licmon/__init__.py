"""licmon: a license server that watches its own connections."""

__version__ = "0.1.0"
