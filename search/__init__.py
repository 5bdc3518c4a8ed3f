"""Finding practices: hybrid retrieval, snippets, evaluation, and the front doors built on them: the
CLI (:mod:`search.cli`), the HTTP API (:mod:`search.api`), the web UI (:mod:`search.web`) and the
assistant interfaces (``/v1/retrieve``, MCP).

Nothing heavy is imported here (the CLI must start without torch); import the modules you need.
"""

__all__: list[str] = []
