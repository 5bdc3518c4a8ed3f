"""The service layer: the rules every front door (API, web UI, MCP, CLI) shares.

Front doors parse their input, call one function or object here, and render the result; they never
import each other. Services raise :class:`~kb.errors.KBError` subclasses, which each front door
renders its own way (problem+json, an HTML page, a tool error, ``Error: ...``).

- :mod:`~search.services.documents`: reading (one rule for withdrawn documents), listings, facets,
  original files, similar practices, search;
- :mod:`~search.services.contributions`: the write rules (kinds of file, metadata, states, owners, ids);
- :mod:`~search.services.jobs`: where a queued upload stands, for its key;
- :mod:`~search.services.auth`: one ``authenticate()`` for API, web and MCP;
- :mod:`~search.services.describe`: one description of a document for Dublin Core, feeds and citations.
- :mod:`~search.services.exchange`: adoptions and requests for knowledge transfer (who records, asks,
  answers, closes), :mod:`~search.services.inbox` a key's inbox feed, and
  :mod:`~search.services.adoption_file` the ``adoptions.yaml`` that ``kb ingest`` loads.

Nothing is imported here, so a front door pays only for the services it uses.
"""
