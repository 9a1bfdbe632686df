"""The shield: denial-of-service defence at the edge of the platform (DESIGN §1).

An ASGI middleware placed outside Django decides for every request, without touching
the database, whether to serve it now, queue it or refuse it (see docs/shield.md).
"""
