"""The dense embedding model, configured once for offline, normalised, batched use.

Both ingestion (documents) and search (queries) embed with the same model: by default the packaged
all-MiniLM-L6-v2 through sentence-transformers-haystack, or multilingual-e5-small (``kb/e5.py``) when
``KB_DENSE_MODEL=multilingual-e5-small``. Its backend factory caches the loaded model by parameters,
so a document and a text embedder built here share one model in memory.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from kb.settings import Settings

if TYPE_CHECKING:
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
        SentenceTransformersTextEmbedder,
    )

    from kb.dual import DualDocumentEmbedder
    from kb.e5 import E5DocumentEmbedder, E5TextEmbedder
    from kb.onnx_query import OnnxTextEmbedder

DENSE_DIM = 384
CONTEXT_META_FIELD = "context"  # title + heading path, embedded before the passage (kb.models.Chunk)


def configure_offline_runtime(settings: Settings) -> None:
    """No hub downloads, no telemetry, and a bounded number of torch threads.

    Must run before sentence-transformers is imported. Threads: on two cores a second busy process
    makes OpenMP threads fight (measured: query p50 128 ms with 2 threads vs 24 ms with 1), so serving
    sets ``torch_threads=1``; 0 keeps torch's default.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)


def make_document_embedder(
    settings: Settings,
) -> SentenceTransformersDocumentEmbedder | E5DocumentEmbedder | DualDocumentEmbedder:
    """Embeds chunk documents as ``context + "\\n" + content`` (exactly ``Chunk.embedding_text``);
    with ``KB_DENSE_MODEL=minilm+e5`` by MiniLM and e5 at once, their vectors concatenated (:mod:`kb.dual`)."""
    configure_offline_runtime(settings)
    if settings.e5_vector:
        from kb.dual import DualDocumentEmbedder
        from kb.e5 import E5DocumentEmbedder

        minilm = make_document_embedder(settings.model_copy(update={"dense_model": "minilm"}))
        e5 = E5DocumentEmbedder(
            meta_fields_to_embed=[CONTEXT_META_FIELD], batch_size=settings.embedding_batch_size, threads=1
        )
        return DualDocumentEmbedder(minilm, e5, scope=settings.e5_scope, lead_tokens=settings.e5_lead_tokens)
    if settings.dense_model_is_multilingual:
        from kb.e5 import E5DocumentEmbedder

        return E5DocumentEmbedder(meta_fields_to_embed=[CONTEXT_META_FIELD], batch_size=settings.embedding_batch_size)
    from haystack.utils import ComponentDevice
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
    )

    return SentenceTransformersDocumentEmbedder(
        model=settings.resolved_model_path(),
        device=ComponentDevice.from_str("cpu"),
        batch_size=settings.embedding_batch_size,
        progress_bar=False,
        normalize_embeddings=True,
        meta_fields_to_embed=[CONTEXT_META_FIELD],
        embedding_separator="\n",
        local_files_only=True,
    )


def make_text_embedder(
    settings: Settings,
) -> SentenceTransformersTextEmbedder | E5TextEmbedder | OnnxTextEmbedder:
    """Embeds queries with the same model and normalisation as the documents (``KB_QUERY_ENCODER``)."""
    configure_offline_runtime(settings)
    if settings.dense_model_is_multilingual:
        from kb.e5 import E5TextEmbedder

        return E5TextEmbedder()
    if settings.query_encoder != "torch":  # the same MiniLM weights through ONNX Runtime (kb/onnx_query.py)
        from kb.onnx_query import OnnxTextEmbedder

        cache = str(settings.encoder_cache) if settings.encoder_cache else None
        return OnnxTextEmbedder(model=settings.resolved_model_path(), encoder=settings.query_encoder, cache_dir=cache)
    from haystack.utils import ComponentDevice
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersTextEmbedder,
    )

    return SentenceTransformersTextEmbedder(
        model=settings.resolved_model_path(),
        device=ComponentDevice.from_str("cpu"),
        batch_size=settings.embedding_batch_size,
        progress_bar=False,
        normalize_embeddings=True,
        local_files_only=True,
    )
