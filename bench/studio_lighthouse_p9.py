"""P9: Lighthouse's mobile performance score of the guests' page (goal ≥ 95) and of the
studio's first screen (goal ≥ 90), with their largest contentful paint; and the guests' page's
HTML, CSS and JavaScript gzip-compressed, photos aside (goal ≤ 60 KB).

The product is ``mocheong serve`` on SQLite in a fresh folder, with one published invitation
(no photos). Lighthouse 12.2.3 comes from the npm registry (``bench/lighthouse``, installed
with ``npm ci`` on first use) and drives Debian's Chromium, with its default mobile settings
(a mid-range phone, slow 4G simulated). The studio is measured as a new visitor finds it: the
sign-in screen.

``python bench/studio_lighthouse_p9.py [--runs 3] [--json PATH]`` prints the median of the runs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.integration.pages_helpers import COMPLETE_DOCUMENT  # noqa: E402
from tests.live_server import live_server  # noqa: E402

LIGHTHOUSE = ROOT / "bench/lighthouse"
CHROMIUM = "/usr/bin/chromium"
GOALS = {"public page": 95, "studio": 90}
SIZE_GOAL_KB = 60.0


def ensure_lighthouse() -> Path:
    binary = LIGHTHOUSE / "node_modules/.bin/lighthouse"
    if not binary.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=LIGHTHOUSE, check=True)
    return binary


def publish_page(base_url: str) -> str:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        tokens = client.post(
            "/api/auth/register",
            json={"email": "p9@example.com", "password": "correct horse", "name": "p9"},
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        page = client.post("/api/pages", json=COMPLETE_DOCUMENT, headers=headers).json()
        client.post(f"/api/pages/{page['id']}/publish", headers=headers).raise_for_status()
        return f"/i/{page['slug']}"


def compressed_kb(base_url: str, path: str) -> float:
    """The page's own bytes: the HTML with its inline CSS and JavaScript, plus any stylesheet
    or script it links from this server, each gzip-compressed (level 6, as servers do)."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        html = client.get(path).text
        total = len(gzip.compress(html.encode(), 6))
        for link in re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/[^"]+\.(?:js|css))"', html):
            total += len(gzip.compress(client.get(link).content, 6))
    return total / 1024


ATTEMPTS = 3
"""Lighthouse runs per measurement: on a loaded machine a run sometimes fails to record its
trace (``NO_NAVSTART``); such a run measures nothing and is run again."""


def lighthouse(binary: Path, url: str) -> dict[str, float]:
    for attempt in range(1, ATTEMPTS + 1):
        with tempfile.TemporaryDirectory() as folder:
            report = Path(folder) / "report.json"
            done = subprocess.run(
                [
                    str(binary),
                    url,
                    "--quiet",
                    "--output=json",
                    f"--output-path={report}",
                    "--only-categories=performance",
                    "--form-factor=mobile",
                    f"--chrome-path={CHROMIUM}",
                    "--chrome-flags=--headless --no-sandbox --disable-gpu --no-first-run",
                ],
                check=False,
                env={"CHROME_PATH": CHROMIUM, "PATH": "/usr/bin:/bin"},
            )
            if done.returncode == 0:
                data: dict[str, Any] = json.loads(report.read_text())
                break
        print(f"lighthouse failed on {url} (attempt {attempt} of {ATTEMPTS})", file=sys.stderr)
    else:
        sys.exit(f"lighthouse failed {ATTEMPTS} times on {url}")
    audits = data["audits"]
    result = {
        "score": round(data["categories"]["performance"]["score"] * 100, 1),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"], 1),
    }
    print(f"{url}: {result}", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    binary = ensure_lighthouse()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        with live_server(data, data / "server.log") as base_url:
            public_path = publish_page(base_url)
            size = compressed_kb(base_url, public_path)
            targets = {"public page": base_url + public_path, "studio": base_url + "/studio"}
            results: dict[str, Any] = {}
            for name, url in targets.items():
                runs = [lighthouse(binary, url) for _ in range(args.runs)]
                results[name] = {
                    "score": statistics.median(r["score"] for r in runs),
                    "lcp_ms": statistics.median(r["lcp_ms"] for r in runs),
                    "runs": runs,
                    "goal": GOALS[name],
                }
    print(f"{'page':<12} {'score':>6} {'goal':>5} {'LCP ms':>8}")
    for name, result in results.items():
        print(f"{name:<12} {result['score']:>6} {result['goal']:>5} {result['lcp_ms']:>8}")
    print(f"public page HTML+CSS+JS gzip: {size:.1f} KB (goal ≤ {SIZE_GOAL_KB:.0f} KB)")
    if args.json:
        args.json.write_text(json.dumps({"lighthouse": results, "public_page_kb": size}, indent=2))
    met = size <= SIZE_GOAL_KB and all(r["score"] >= r["goal"] for r in results.values())
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
