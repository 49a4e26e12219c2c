"""Tables for the chat benchmarks and chaos runs: figure, same-run baseline, ratio; and JSON."""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from entrypoints.bootstrap.settings import SERVERS

Measured = TypeVar("Measured", bound=tuple[Any, ...])


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


class Table:
    """Rows of (figure, value, baseline, unit, target); the ratio is value / baseline."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []

    def add(
        self,
        figure: str,
        value: float,
        unit: str,
        *,
        baseline: float | None = None,
        target: str = "",
        ok: bool | None = None,
        broker: str | None = None,
    ) -> None:
        """``broker``: the product's broker the figure was measured on (in the JSON)."""
        ratio = value / baseline if baseline not in (None, 0) and not math.isnan(value) else None
        self.rows.append(
            {
                "figure": figure,
                "value": value,
                "unit": unit,
                "baseline": baseline,
                "ratio": ratio,
                "target": target,
                "ok": ok,
                **({"broker": broker} if broker else {}),
            }
        )

    def note(self, text: str) -> None:
        self.notes.append(text)

    def print(self) -> None:
        header = ("figure", "value", "baseline", "ratio", "target", "ok")
        lines = [header]
        for row in self.rows:
            lines.append(
                (
                    row["figure"],
                    f"{_num(row['value'])} {row['unit']}",
                    "" if row["baseline"] is None else f"{_num(row['baseline'])} {row['unit']}",
                    "" if row["ratio"] is None else f"{row['ratio']:.2f}",
                    row["target"],
                    {True: "yes", False: "NO", None: ""}[row["ok"]],
                )
            )
        widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
        print(f"\n{self.title}")
        for index, line in enumerate(lines):
            cells = zip(line, widths, strict=True)
            print("  ".join(str(cell).ljust(width) for cell, width in cells))
            if index == 0:
                print("  ".join("-" * width for width in widths))
        for text in self.notes:
            print(f"  note: {text}")

    def save(self, path: str | None, **extra: Any) -> None:
        if not path:
            return
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = {"title": self.title, "rows": self.rows, "notes": self.notes, **extra}
        target.write_text(json.dumps(_clean(data), indent=2, default=str))


def _num(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"


def _clean(value: Any) -> Any:
    """NaN (a figure that could not be measured) becomes null: JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", metavar="PATH", help="also write the table as JSON here")
    return parser


def add_server_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        choices=[*SERVERS, "both"],
        default="both",
        help="the ASGI server of the API processes and the baseline; both: one group of rows each",
    )


BROKERS = ("redis", "nats")


def broker_list(value: str) -> list[str]:
    """``--broker``'s value: brokers, comma-separated, each once, in the order given."""
    names = [name.strip().lower() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in BROKERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{value!r}: name one or more of {', '.join(BROKERS)}, comma-separated"
        )
    return list(dict.fromkeys(names))


def add_broker_option(parser: argparse.ArgumentParser, default: str = "redis,nats") -> None:
    parser.add_argument(
        "--broker",
        type=broker_list,
        default=broker_list(default),
        help=f"the product's broker(s), comma-separated, one group of rows each ({default})",
    )


def servers_of(args: argparse.Namespace) -> list[str]:
    return list(SERVERS) if args.server == "both" else [args.server]


def per_server(
    args: argparse.Namespace,
    run: Callable[[str], Measured],
    rows: Callable[[str, Measured], None],
    parts: Sequence[str],
) -> dict[str, dict[str, Any]]:
    """Measures on each server asked for (``--server``), adding its rows as it ends; returns,
    per server, what ``run`` measured under the names ``parts``, for the JSON."""
    results: dict[str, dict[str, Any]] = {}
    for server in servers_of(args):
        measured = run(server)
        rows(server, measured)
        results[server] = dict(zip(parts, measured, strict=True))
    return results
