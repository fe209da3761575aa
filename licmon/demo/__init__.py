"""`licmon demo`: a real server on the loopback address, demo data, simulated programs."""
