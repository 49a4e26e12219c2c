"""deploy/grafana/mocheong.json asks only for metrics the app exports: every panel's queries
name metrics found in ``/metrics`` (a sample, or a family declared by its ``# TYPE``), and
every ``mocheong_*`` family has a panel."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.integration.accounts_http import Client

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "mocheong.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
PROMQL_WORDS = {
    "sum", "rate", "increase", "histogram_quantile", "topk", "by", "without", "le",
    "avg", "max", "min", "count", "irate", "and", "or", "unless", "on", "ignoring",
}  # fmt: skip


@pytest.fixture
def backend() -> str:
    return "sqlite"


def exported(text: str) -> set[str]:
    """The metric names a query may use: each sample's, and each declared family's series."""
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}
    for family, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
        base = family.removesuffix("_total")
        names |= {base + suffix for suffix in SUFFIXES.get(kind, ("",))} | {family}
    return names - {""}


def metrics_in(expr: str) -> set[str]:
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", " ", expr)
    bare = re.sub(r"\b(by|without)\s*\([^)]*\)", " ", bare)
    words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", bare))
    return words - PROMQL_WORDS


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


async def test_every_panel_asks_for_metrics_the_app_exports(client: Client) -> None:
    assert (await client.get("/health")).status_code == 200  # a request observed
    text = (await client.get("/metrics")).text
    names = exported(text)
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))

    asked: set[str] = set()
    for panel in panels(dashboard):
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used = metrics_in(target["expr"])
            assert used, (panel["title"], target["expr"])
            assert used <= names, (panel["title"], sorted(used - names))
            asked |= used
    declared = re.findall(r"^# TYPE (mocheong_\S+) ", text, re.M)
    families = {f for f in declared if not f.endswith("_created")}  # creation times
    shown = {
        f for f in families if any(name.startswith(f.removesuffix("_total")) for name in asked)
    }
    assert shown == families


def test_the_checker_sees_metrics_it_does_not_know() -> None:
    assert metrics_in('sum by (le) (rate(x_seconds_bucket{job=~"$job"}[5m]))') == {
        "x_seconds_bucket"
    }
    assert "x_seconds_bucket" not in exported("# TYPE y_seconds histogram\n")
