"""The worker's ``/metrics``: the counters its jobs move (model tokens and failures, job
runs) live in the worker process, so the API's ``/metrics`` cannot show them. With
``MOCHEONG_WORKER_METRICS_PORT`` set, a small HTTP listener of ``prometheus_client`` serves
this process's registry on that port from a daemon thread, for as long as the worker runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from prometheus_client import start_http_server

log = structlog.get_logger("mocheong.worker")


@contextmanager
def metrics_listener(port: int, host: str = "0.0.0.0") -> Iterator[int | None]:  # noqa: S104
    """Serves ``/metrics`` on ``port`` while the block runs, and yields the bound port
    (None when ``port`` is 0: no listener)."""
    if not port:
        yield None
        return
    server, thread = start_http_server(port, addr=host)
    bound = int(server.server_port)
    log.info("worker_metrics_listening", port=bound)
    try:
        yield bound
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
