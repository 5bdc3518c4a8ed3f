"""A job's time limit (KB_JOB_TIMEOUT_S) as the ingest steps check it: time left, and the pace of embedding."""

from __future__ import annotations

import time

from kb.errors import TimeoutExceededError


def remaining(deadline: float | None) -> float | None:
    """Seconds left before ``deadline`` (at least a moment, so the check below reports it)."""
    return None if deadline is None else max(0.5, deadline - time.monotonic())


def projected_end(began: float, done: int, total: int) -> float | None:
    """When embedding ``total`` chunks will end at the pace of the first ``done`` (None before any)."""
    if done == 0:
        return None
    return began + (time.monotonic() - began) * total / done


def check_deadline(deadline: float | None, *, projected: float | None = None) -> None:
    """Stop a job past its time limit, or as soon as its pace shows it cannot finish in time.

    Failing early frees the only worker for the uploads waiting behind a huge file.
    """
    if deadline is None:
        return
    now = time.monotonic()
    if now > deadline or (projected is not None and projected > deadline):
        late = max(projected or now, now) - deadline
        hint = f" (at this pace it would end {late:.0f} s after the limit)" if projected and late > 0 else ""
        raise TimeoutExceededError(
            f"ingesting this file takes longer than the job time limit (KB_JOB_TIMEOUT_S){hint}; "
            "split it into smaller files or ask an operator to raise the limit"
        )
