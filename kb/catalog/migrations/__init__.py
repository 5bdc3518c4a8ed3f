"""Alembic migrations of the catalog, shipped in the package and run programmatically.

:mod:`kb.catalog.schema` runs them (``kb db upgrade``, or automatically on an empty database); there
is no ``alembic.ini``: the script location is this folder and the connection comes from the caller.
"""
