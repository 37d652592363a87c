"""Migration revisions, oldest first (``0001_initial`` creates every table)."""

__all__: list[str] = []
