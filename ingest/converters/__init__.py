"""Converters: file bytes -> :class:`kb.models.ConvertedDocument` (sections with heading paths, pages).

:func:`convert_bytes` decides the format from the content (:mod:`ingest.converters.sniff`), refuses
a file whose extension promises another format, and calls the converter for that format. With
``timeout_s`` it converts in a separate worker process that is killed when the limit passes, so a
pathological PDF cannot hang an ingest job or the API; the limit counts conversion only, not
starting the worker. A PDF with scanned pages is converted in two steps, each with its own limit:
the text layer (``timeout_s``), then OCR of the pages without one (:func:`ocr.ocr_timeout_s`, which
grows with the number of pages, since recognition takes seconds per page where extraction takes
milliseconds).

The Haystack components wrapping these functions live in :mod:`ingest.converters.components` and
are exported from here lazily: importing Haystack imports torch, which the worker process (and a
CLI that only validates files) should not pay for.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeoutError
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ingest.converters import sniff
from ingest.converters._common import require_content
from ingest.converters.docx import convert_docx
from ingest.converters.html import convert_html
from ingest.converters.markdown import convert_markdown
from ingest.converters.ocr import OcrPage, ocr_pdf_pages, ocr_timeout_s
from ingest.converters.pdf import assemble_pdf, convert_pdf, extract_pdf
from ingest.converters.text import convert_text
from kb.errors import ConversionError, KBError, TimeoutExceededError
from kb.models import ConvertedDocument

if TYPE_CHECKING:
    from ingest.converters.components import (
        DOCXSectionConverter,
        HTMLSectionConverter,
        MarkdownSectionConverter,
        PDFSectionConverter,
        SectionConverter,
        TextSectionConverter,
    )

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "SUPPORTED_MEDIA_TYPES",
    "DOCXSectionConverter",
    "HTMLSectionConverter",
    "MarkdownSectionConverter",
    "PDFSectionConverter",
    "SectionConverter",
    "TextSectionConverter",
    "check_extension_matches",
    "convert_bytes",
    "convert_docx",
    "convert_html",
    "convert_markdown",
    "convert_path",
    "convert_pdf",
    "convert_text",
    "resolve_media_type",
    "shutdown_worker",
    "sniff_media_type",
]

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

WORKER_START_TIMEOUT_S = 120.0

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(sniff.EXTENSION_TYPES)
SUPPORTED_MEDIA_TYPES: frozenset[str] = sniff.SUPPORTED_TYPES

sniff_media_type = sniff.sniff_media_type
check_extension_matches = sniff.check_extension_matches

_CONVERTERS: dict[str, Callable[[bytes, str], ConvertedDocument]] = {
    sniff.PDF: convert_pdf,
    sniff.DOCX: convert_docx,
    sniff.HTML: convert_html,
    sniff.MARKDOWN: convert_markdown,
    sniff.TEXT: convert_text,
}
_COMPONENTS = {
    "SectionConverter",
    "MarkdownSectionConverter",
    "PDFSectionConverter",
    "DOCXSectionConverter",
    "HTMLSectionConverter",
    "TextSectionConverter",
}


def __getattr__(name: str) -> Any:
    if name in _COMPONENTS:
        from ingest.converters import components

        return getattr(components, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def convert_bytes(
    data: bytes,
    filename: str,
    *,
    timeout_s: float | None = None,
    media_type: str | None = None,
    language: str | None = None,
    deadline: float | None = None,
) -> ConvertedDocument:
    """Convert one file's bytes. ``filename`` (a name, not read) refines text formats and names the
    file in error messages; ``language`` (the metadata's ISO code) is the language of scanned pages.
    ``deadline`` (``time.monotonic()``, a job's end) also caps the OCR limit: recognition never runs
    past the time the job has left, however many pages its own limit would allow.

    ``media_type``, when given, is the format the caller expects (a PDF-only component): content of
    another format is refused. Raises ``ConversionError`` for empty, unsupported, mislabelled,
    encrypted or corrupt files and ``TimeoutExceededError`` when ``timeout_s`` passes.
    """
    resolved = resolve_media_type(data, filename, expected=media_type)
    if resolved == sniff.PDF:
        if timeout_s is None:
            return convert_pdf(data, filename, language=language)
        extracted = _pool.run(partial(extract_pdf, data, filename), filename, timeout_s, "conversion")
        pages = extracted.image_pages
        recognised: dict[int, OcrPage] = {}
        if pages:
            limit = ocr_timeout_s(len(pages))
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutExceededError(
                        f"{filename}: no time is left for text recognition (OCR) of {len(pages)} scanned page(s)"
                    )
                limit = min(limit, left)
            ocr = partial(ocr_pdf_pages, data, pages, language=language, filename=filename, timeout_s=limit)
            recognised = _pool.run(ocr, filename, limit + 5.0, "text recognition (OCR)")
        return assemble_pdf(extracted, recognised, filename)
    if timeout_s is None:
        return _convert(resolved, data, filename)
    return _pool.run(partial(_convert, resolved, data, filename), filename, timeout_s, "conversion")


def convert_path(path: str | Path, *, timeout_s: float | None = None) -> ConvertedDocument:
    """Read and convert one file; see :func:`convert_bytes`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConversionError(f"{path} cannot be read: {exc.strerror or exc}") from None
    return convert_bytes(data, path.name, timeout_s=timeout_s)


def resolve_media_type(data: bytes, filename: str, *, expected: str | None = None) -> str:
    """The supported media type to convert ``data`` as, or a ``ConversionError`` saying why not."""
    require_content(data, filename)
    media_type = sniff.sniff_media_type(data, filename)
    sniff.check_extension_matches(media_type, filename)
    if expected is not None and media_type != expected:
        if not (expected in sniff.TEXT_TYPES and media_type in sniff.TEXT_TYPES):
            raise ConversionError(
                f"{filename} is {sniff.describe(media_type)}, not {sniff.describe(expected)} as expected"
            )
        media_type = expected
    if media_type not in _CONVERTERS:
        hint = " and needs OCR first" if media_type.startswith("image/") else ""
        raise ConversionError(
            f"{filename} is {sniff.describe(media_type)}, which is not supported{hint}; "
            "supported formats: PDF, Word (.docx), HTML, Markdown and plain text"
        )
    return media_type


def _convert(media_type: str, data: bytes, filename: str) -> ConvertedDocument:
    return _CONVERTERS[media_type](data, filename)


def _ping() -> bool:
    return True


WORKER_MEMORY_LIMIT_BYTES = 2 * 1024**3


def _exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: leave when the parent is gone, even if it was killed without cleanup
    (SIGKILL, OOM), so no orphaned converter process outlives the server or CLI that started it; and
    cap the worker's address space, so a decompression bomb the zip guard cannot see (a PDF's
    streams) fails this one file with MemoryError instead of exhausting the machine."""
    import resource
    import signal

    # Ctrl-C in a terminal reaches the whole process group: the parent decides (kb ingest stops after
    # the current file), so the worker must not die mid-conversion with a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > WORKER_MEMORY_LIMIT_BYTES:
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_LIMIT_BYTES, hard))

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class _WorkerPool:
    """A lazily started single-worker process pool, replaced whenever a conversion overruns.

    Conversions are serialised by a lock so a timeout never kills another caller's job; the worker
    is started with "spawn" because the parent may hold torch's threads (fork would copy them in an
    unusable state).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def run(self, call: Callable[[], _T], filename: str, timeout_s: float, what: str) -> _T:
        """``call()`` (a picklable partial) in the worker, killed after ``timeout_s``; ``filename`` and
        ``what`` ("conversion", "text recognition (OCR)") name the file and the step in messages."""
        with self._lock:
            executor = self._started()
            future = executor.submit(call)
            try:
                return future.result(timeout=timeout_s)
            except FuturesTimeoutError:
                self._kill()
                raise TimeoutExceededError(
                    f"{filename}: {what} took longer than {timeout_s:g} s and was stopped"
                ) from None
            except BrokenProcessPool:
                self._kill()
                raise ConversionError(
                    f"{filename}: the converter process crashed on this file (it may be damaged or too large)"
                ) from None
            except MemoryError:
                self._kill()
                limit = WORKER_MEMORY_LIMIT_BYTES // 1024**3
                raise ConversionError(f"{filename}: converting it needs more than {limit} GB of memory") from None

    def _started(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("spawn")
            executor = ProcessPoolExecutor(
                max_workers=1, mp_context=context, initializer=_exit_with_parent, initargs=(os.getpid(),)
            )
            self._executor = executor
            try:  # start the worker now: the caller's timeout is for converting, not for starting
                executor.submit(_ping).result(timeout=WORKER_START_TIMEOUT_S)
            except (FuturesTimeoutError, BrokenProcessPool) as exc:
                self._kill()
                raise KBError(f"the conversion worker process could not be started ({exc!r})") from None
        return self._executor

    def _kill(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())  # 3.14 adds terminate_workers()
        for process in processes:
            if process.is_alive():
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)
        logger.info("converter worker stopped")

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


_pool = _WorkerPool()
atexit.register(_pool.shutdown)


def shutdown_worker() -> None:
    """Stop the conversion worker process, if one was started (it restarts on the next use)."""
    _pool.shutdown()
