"""The staff console: server-rendered pages under /staff and a token API under /staff/api.

Every route names the permission it needs (``licmon.domain.staff``); a session (cookie) or
a personal API token is checked on the server for each request, and so is a customer's
organization scope. ``setup.install`` mounts it.
"""
