"""The service layer: the rules every front door (API, web UI, MCP, CLI) shares.

Front doors parse their input, call one function or object here, and render the result; they never
import each other. Services raise :class:`~kb.errors.KBError` subclasses, which each front door
renders its own way (problem+json, an HTML page, a tool error, ``Error: ...``).
"""
