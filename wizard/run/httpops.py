"""The verification's HTTP work on the machine running the wizard, in Python: requests through the
port forward, which real server answered, polling until a change shows, and the clocks of failovers.

Each operation keeps the figure names and labels of the shell scripts it replaces
(steps/measurements.py renders those as the POSIX equivalent), so wizard/base/figures.py reads both.
A measurement checks its precondition before it disrupts anything: a failover timed when the director
was already off, or a recovery of a VIP that did not serve before, would be a number without meaning,
so it is refused (exit 3, no figure) with a sentence saying what did not hold.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

from steps.model import HostOp
from wizard.base.figures import FIGURE_TAG
from wizard.base.i18n import Msg
from wizard.run.channels import LineCallback
from wizard.run.errors import reason_of
from wizard.run.hostops import (
    EXIT_PRECONDITION,
    OFF_STATES,
    HostContext,
    host_op,
    power_off,
    power_on,
    run_nested,
    vm_state,
)

POLL = 0.2  # s between polls: recoveries measured to a few tenths of a second
FAILED, UNKNOWN = "failed", "unknown"
# Never through a proxy: the VIP is reached through this machine's own port forward (a proxy set for
# the web, or read from the Windows registry by urllib, would not reach it).
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Response:
    def __init__(self, status: int, body: str, headers: dict[str, str], error: str = "",
                 reason: Msg | None = None) -> None:
        self.status, self.body, self.headers, self.error = status, body, headers, error
        self.reason = reason or Msg.raw(error)  # the error in words, both languages (the OS's words are English)

    @property
    def ok(self) -> bool:
        """As `curl -f`: an answer below 400."""
        return not self.error and 0 < self.status < 400


def fetch(url: str, timeout: float) -> Response:
    """One GET; an HTTP error status is an answer (its body is read), a network error is not."""
    try:
        with _OPENER.open(urllib.request.Request(url, headers={"User-Agent": "ha-wizard"}), timeout=timeout) as r:
            return Response(r.status, r.read().decode("utf-8", "replace"), {k.lower(): v for k, v in r.headers.items()})
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace") if exc.fp is not None else ""
        return Response(exc.code, body, {k.lower(): v for k, v in (exc.headers or {}).items()})
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        words = reason_of(reason) if isinstance(reason, BaseException) else Msg.raw(str(reason))
        return Response(0, "", {}, str(reason) or type(exc).__name__, words)


def which_server(body: str, servers: tuple) -> str:
    """The real server whose name or address the page shows, as a whole word (cluster2 is not
    cluster20), else "unknown"."""
    for name, ip in servers:
        if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])|(?<![\w]){re.escape(ip)}(?![\w])", body):
            return name
    return UNKNOWN


def spread_round(ctx: HostContext, url: str, servers: tuple, requests: int) -> list[str]:
    out = []
    for _ in range(int(requests)):
        ctx.remaining()
        res = fetch(url, timeout=5.0)
        out.append(which_server(res.body, servers) if res.ok else FAILED)
    return out


def spread_problems(ctx: HostContext, results: list[str], expect: tuple, forbid: tuple) -> list[str]:
    problems = []
    failed = results.count(FAILED)
    if failed:
        problems.append(ctx.t("http.requests_failed", failed=failed, total=len(results)))
    problems += [ctx.t("http.no_answer_from", server=s) for s in expect if s not in results]
    problems += [ctx.t("http.down_but_answered", server=s) for s in forbid if s in results]
    return problems


def print_spread(on_line: LineCallback, results: list[str]) -> None:
    # Sorted by server, as the shell equivalent's `sort | uniq -c`.
    for who, count in sorted(Counter(results).items()):
        on_line("stdout", f"{FIGURE_TAG} requests={count} server={who}")


def figure_line(name: str, seconds: float, labels: tuple = ()) -> str:
    extra = "".join(f" {k}={v}" for k, v in labels)
    return f"{FIGURE_TAG} {name}={seconds:.2f} unit=s{extra}"


def refuse(ctx: HostContext, on_line: LineCallback, key: str, **values: object) -> int:
    """A measurement whose precondition does not hold: say why; no figure."""
    on_line("stderr", ctx.t(key, **values))
    on_line("stderr", ctx.t("measure.no_figure"))
    return EXIT_PRECONDITION


# -- checks -----------------------------------------------------------------------------------------------

@host_op("http_page")
def op_http_page(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, url: str) -> int:
    """GET the page and show it (as `curl -fsS URL`): exit 0 on an answer below 400."""
    res = fetch(url, timeout=min(30.0, ctx.remaining()))
    for line in res.body.splitlines():
        on_line("stdout", line)
    if res.ok:
        return 0
    why = res.reason.get(ctx.lang) if res.error else f"HTTP {res.status}"
    on_line("stderr", ctx.t("http.failed", url=url, why=why))
    return 22 if res.status else 7  # curl's exit statuses: HTTP error / could not connect


@host_op("spread")
def op_spread(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, url: str, servers: tuple,
              requests: int, expect: tuple = (), forbid: tuple = ()) -> int:
    """N requests; how many each real server answered (figures). Fails on failed requests, on an expected
    server that answered none, or on a forbidden (powered-off) one that answered."""
    results = spread_round(ctx, url, servers, requests)
    print_spread(on_line, results)
    problems = spread_problems(ctx, results, expect, forbid)
    for p in problems:
        on_line("stderr", p)
    return 1 if problems else 0


# -- conditions a clock waits for: exit 0 when it holds; what they print is shown only for the round that held --

@host_op("http_serves")
def op_http_serves(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, url: str) -> int:
    return 0 if fetch(url, timeout=1.0).ok else 1


@host_op("error_page")
def op_error_page(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, url: str,
                  marker: str) -> int:
    """0 when the answer is the director's local error page: HTTP 503 with the marker in its body."""
    res = fetch(url, timeout=2.0)
    if res.status == 503 and marker in res.body:
        for line in res.body.splitlines():
            on_line("stdout", line)
        return 0
    return 1


@host_op("served_by")
def op_served_by(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, url: str, header: str,
                 names: tuple) -> int:
    """0 when the answer's `header` names one of `names` (or an FQDN of one)."""
    res = fetch(url, timeout=2.0)
    value = res.headers.get(header.lower(), "").strip()
    return 0 if any(value.lower() == n.lower() or value.lower().startswith(n.lower() + ".") for n in names) else 1


# -- clocks -------------------------------------------------------------------------------------------------

@host_op("measure")
def op_measure(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, name: str, until: HostOp,
               limit_s: float, failure: str = "", failure_values: tuple = (), poweroff: str = "",
               poweron: str = "", serving: str = "", labels: tuple = (), clock_first: bool = False) -> int:
    """Time how long after a change `until` holds, and print the figure `name` (seconds).

    The change: `poweroff` VM (hard power-off, as pulling the plug) and/or `poweron` VM (headless).
    Preconditions, checked before anything changes: a VM to power off runs, a VM to power on is off,
    and `serving` (a URL), when given, answers. `clock_first`: the clock starts before the change
    (a power-on whose own duration belongs to the figure); otherwise right after it. What `until` printed
    in the round that held (a spread's counts, the error page) follows the figure: the evidence of that
    very round, not of a second one. `failure`: the catalogue key (wizard/i18n.py) of what to say when
    `until` never held, with `failure_values`.
    """
    if poweroff:
        state = vm_state(ctx, poweroff)
        if state != "running":
            return refuse(ctx, on_line, "measure.not_running", vm=poweroff, state=state or "-")
    if poweron:
        state = vm_state(ctx, poweron)
        if state not in OFF_STATES:
            return refuse(ctx, on_line, "measure.not_off", vm=poweron, state=state or "-")
    if serving and not fetch(serving, timeout=2.0).ok:
        return refuse(ctx, on_line, "measure.not_serving", url=serving)
    t0 = time.monotonic()
    if poweroff and power_off(ctx, on_line, poweroff) != 0:
        return 1
    if poweron and power_on(ctx, on_line, poweron) != 0:
        return 1
    if not clock_first:
        t0 = time.monotonic()
    limit = t0 + float(limit_s)
    round_lines: list[tuple[str, str]] = []
    for _ in range(int(float(limit_s) / POLL) + 50):  # bounded in count as well as by `limit`
        round_lines = []
        if run_nested(ctx, until, lambda stream, text, keep=round_lines: keep.append((stream, text))) == 0:
            on_line("stdout", figure_line(name, time.monotonic() - t0, labels))
            for stream, text in round_lines:
                on_line(stream, text)
            return 0
        if time.monotonic() >= limit:
            break
        ctx.sleep(POLL)
    for stream, text in round_lines:  # the last round: what still did not hold
        on_line(stream, text)
    values = {"limit": f"{float(limit_s):g}", "name": name, **dict(failure_values)}
    on_line("stderr", ctx.t(failure or "measure.timeout", **values))
    return 1
