"""Abuse detection wired to the running server: detectors, flags, GeoIP life cycle."""
