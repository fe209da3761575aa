"""Pure rules: no I/O, no clock, no web or store imports."""
