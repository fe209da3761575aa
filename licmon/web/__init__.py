"""HTTP: parse and validate, call the service, render. No business rule lives here."""
