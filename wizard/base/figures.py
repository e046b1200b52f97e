"""Figures measured by the verification section, read back from the commands' output.

Measurement scripts print `HA-WIZARD-FIGURE name=value unit=s key=val ...` lines, and announce
each benchmark run with `HA-WIZARD-BENCH tool=ab servers=2 page=index.php` followed by the tool's
own output (ab's text report, siege's JSON summary), which is parsed here. Keeping the parsing on
the wizard's side means the nodes need nothing but the tools the guide installs.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

FIGURE_TAG = "HA-WIZARD-FIGURE"
BENCH_TAG = "HA-WIZARD-BENCH"

_AB_RPS = re.compile(r"^Requests per second:\s+([\d.]+)")
_AB_MEAN = re.compile(r"^Time per request:\s+([\d.]+) \[ms\] \(mean\)$")
_AB_FAILED = re.compile(r"^Failed requests:\s+(\d+)")
_AB_COMPLETE = re.compile(r"^Complete requests:\s+(\d+)")


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "unit": self.unit, "labels": dict(self.labels)}

    @classmethod
    def from_dict(cls, data: dict) -> Figure:
        return cls(data["name"], float(data["value"]), data.get("unit", ""), dict(data.get("labels", {})))

    def __str__(self) -> str:
        text = f"{self.name} = {self.value:g}" + (f" {self.unit}" if self.unit else "")
        if self.labels:
            text += " (" + " ".join(f"{k}={v}" for k, v in self.labels.items()) + ")"
        return text


def _fields(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for token in shlex.split(text):
        key, sep, value = token.partition("=")
        if sep:
            out[key] = value
    return out


def parse_figures(lines: Iterable[str]) -> list[Figure]:
    """Every figure in a command's output, in order."""
    figures: list[Figure] = []
    bench: dict[str, str] | None = None
    siege_json: list[str] | None = None
    for raw in lines:
        line = raw.rstrip("\n").strip()
        if line.startswith(FIGURE_TAG):
            fields = _fields(line[len(FIGURE_TAG):])
            unit = fields.pop("unit", "")
            for name, value in list(fields.items()):
                try:
                    number = float(value)
                except ValueError:
                    continue
                labels = {k: v for k, v in fields.items() if k != name and not _is_number(v)}
                figures.append(Figure(name, number, unit, labels))
            continue
        if line.startswith(BENCH_TAG):
            bench = _fields(line[len(BENCH_TAG):])
            siege_json = None
            continue
        if bench is None:
            continue
        labels = {k: v for k, v in bench.items() if k != "tool"}
        tool = bench.get("tool", "ab")
        if tool == "siege":
            if line.startswith("{"):
                siege_json = []
            if siege_json is not None:
                siege_json.append(line)
                if line.endswith("}"):
                    figures += _siege_figures(" ".join(siege_json), labels)
                    siege_json = None
            continue
        for regex, name, unit in ((_AB_RPS, "ab_rps", "req/s"), (_AB_MEAN, "ab_mean_ms", "ms"),
                                  (_AB_FAILED, "ab_failed", "requests"), (_AB_COMPLETE, "ab_complete", "requests")):
            match = regex.match(line)
            if match:
                figures.append(Figure(name, float(match.group(1)), unit, labels))
    return figures


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _siege_figures(text: str, labels: dict[str, str]) -> list[Figure]:
    # siege 4 prints a JSON-ish summary; tabs and trailing commas are the only oddities seen.
    try:
        data = json.loads(re.sub(r",\s*}", "}", text))
    except json.JSONDecodeError:
        return []
    out = []
    if "transaction_rate" in data:
        out.append(Figure("siege_rps", float(data["transaction_rate"]), "req/s", labels))
    if "response_time" in data:
        out.append(Figure("siege_mean_ms", round(float(data["response_time"]) * 1000, 3), "ms", labels))
    if "availability" in data:
        out.append(Figure("siege_availability", float(data["availability"]), "%", labels))
    return out


def bench_table(figures: Iterable[Figure]) -> list[dict[str, str | float]]:
    """Benchmark figures as rows: one per (tool, page, servers), with req/s and mean ms."""
    rows: dict[tuple[str, str, str], dict[str, str | float]] = {}
    for f in figures:
        if not f.name.startswith(("ab_", "siege_")):
            continue
        tool, metric = f.name.split("_", 1)
        key = (tool, f.labels.get("page", ""), f.labels.get("servers", ""))
        row = rows.setdefault(key, {"tool": tool, "page": key[1], "servers": key[2]})
        row[metric] = f.value
    return sorted(rows.values(), key=lambda r: (str(r["tool"]), str(r["page"]), str(r["servers"])))
