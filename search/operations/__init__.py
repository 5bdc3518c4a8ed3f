"""Operations: the background job runner, index maintenance and ingesting through a remote server.

Not front doors and not the search engine: the API lifespan runs the job runner, the CLI runs
maintenance (`kb reindex`) and remote ingests (`kb ingest --server`). Each reaches ``ingest`` only
through :mod:`ingest.service`.
"""
