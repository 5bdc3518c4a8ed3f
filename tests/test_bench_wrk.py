"""bench/http_search.py reads wrk's report whole: errors and timeouts are counted, never a silent 0.

The reports are wrk 4.1's own output (Debian's package), one clean and one from an overloaded server
(the case that once printed a p50 of 0), and a real run of wrk against a port nobody listens on.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from bench.http_search import parse_variant, parse_wrk
from tests.live import free_port

CLEAN = """Running 5s test @ http://127.0.0.1:8000
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    22.10ms    3.01ms  40.12ms   80.00%
    Req/Sec    45.20      5.10    50.00     70.00%
  Latency Distribution
     50%   21.40ms
     75%   23.00ms
     90%   25.10ms
     99%   30.60ms
  226 requests in 5.00s, 1.20MB read
Requests/sec:     45.18
Transfer/sec:    245.00KB
"""

OVERLOADED = """Running 5s test @ http://127.0.0.1:8000
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20s   400.00ms   1.99s    60.00%
    Req/Sec     10.00     4.00    20.00     60.00%
  Latency Distribution
     50%    1.25s
     75%    1.50s
     90%    1.80s
     99%    1.99s
  120 requests in 5.00s, 0.60MB read
  Socket errors: connect 0, read 3, write 1, timeout 17
  Non-2xx or 3xx responses: 9
Requests/sec:     24.00
Transfer/sec:    120.00KB
"""


def test_a_clean_report() -> None:
    result = parse_wrk(CLEAN)
    assert result["p50_ms"] == 21.4 and result["p99_ms"] == 30.6 and result["rps"] == 45.18
    assert result["requests"] == 226
    assert (result["socket_errors"], result["timeouts"], result["non_2xx"]) == (0, 0, 0)


def test_errors_timeouts_and_seconds_are_read() -> None:
    result = parse_wrk(OVERLOADED)
    assert result["p50_ms"] == 1250.0 and result["p99_ms"] == 1990.0
    assert (result["socket_errors"], result["timeouts"], result["non_2xx"]) == (4, 17, 9)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_a_refused_connection_is_an_error_not_a_latency() -> None:
    argv = ["wrk", "-t", "1", "-c", "1", "-d", "1s", "--latency", f"http://127.0.0.1:{free_port()}"]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    result = parse_wrk(run.stdout + run.stderr)
    assert result["requests"] == 0 and result["socket_errors"] > 0 and result["no_report"] == 1


def test_a_variant_names_its_environment() -> None:
    variant = parse_variant("before:KB_QUERY_ENCODER=torch,KB_QUERY_THREADS=64")
    assert variant.name == "before" and variant.env == {"KB_QUERY_ENCODER": "torch", "KB_QUERY_THREADS": "64"}
    assert parse_variant("now:").env == {}
    with pytest.raises(Exception, match="NAME:KB_X=V"):
        parse_variant("now:QUERY=1")
