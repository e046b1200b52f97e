"""Shell scripts that measure what the guide's verification asks to see. Pure: text in, text out.

Each script is bounded in count and time, needs only the tools the guide installs (curl, ab,
siege, socat for HAProxy's runtime API) and prints its results as `HA-WIZARD-FIGURE` / `HA-WIZARD-BENCH`
lines (see wizard.base.figures). Scripts fail (exit 1) with a sentence saying what did not happen.

On the directors these scripts are what runs. On the machine running the wizard the same
measurements run in Python (wizard/run/httpops.py, same figures); there these scripts are their POSIX
equivalent, shown in the listing and replayed by the sh export. A measurement whose precondition
does not hold (a failover timed when the director was already off) is refused, exit 3, no figure.
"""

from __future__ import annotations

import re
import shlex

from wizard.base.figures import BENCH_TAG, FIGURE_TAG

# Polling step; short enough to measure recoveries to a few tenths of a second.
POLL = 0.2
EXIT_PRECONDITION = 3


def _q(text: str) -> str:
    return shlex.quote(text)


def _which_server(url: str, servers: list[tuple[str, str]]) -> str:
    # One request -> the name of the real server that answered (its page prints its host name or
    # address; `grep -w` keeps cluster2 from matching cluster20), "unknown", or "failed".
    tests = " || ".join(
        f"{{ printf '%s\\n' \"$body\" | grep -qwE {_q(re.escape(name) + '|' + re.escape(ip))} && echo {_q(name)}; }}"
        for name, ip in servers)
    return f"if body=$(curl -fsS -m 5 {_q(url)} 2>/dev/null); then {tests} || echo unknown; else echo failed; fi"


def _poll_until(condition: str, limit_s: float, failure: str) -> str:
    """Poll `condition` every POLL s until it holds; fail after `limit_s` seconds."""
    return (f"deadline=$(( $(date +%s) + {int(limit_s)} ))\n"
            f"until {condition}; do\n"
            f"  if [ \"$(date +%s)\" -ge \"$deadline\" ]; then echo {_q(failure)} >&2; exit 1; fi\n"
            f"  sleep {POLL}\n"
            "done")


def _elapsed_figure(name: str, labels: str = "") -> str:
    extra = f" {labels}" if labels else ""
    return (f"t1=$(date +%s.%N); awk -v a=\"$t0\" -v b=\"$t1\" "
            f"'BEGIN {{ printf \"{FIGURE_TAG} {name}=%.2f unit=s{extra}\\n\", b - a }}'")


def spread(url: str, servers: list[tuple[str, str]], requests: int, expect_servers: list[str] | None = None,
           forbid_servers: list[str] | None = None) -> str:
    """N requests; how many each real server (name, address) answered. Fails on failed requests, on
    an expected server (by name) that answered none, or on a forbidden (powered-off) one that answered."""
    lines = [
        f"results=$(for i in $(seq 1 {int(requests)}); do {_which_server(url, servers)}; done)",
        "printf '%s\\n' \"$results\" | sort | uniq -c | while read -r count who; do",
        f"  echo \"{FIGURE_TAG} requests=$count server=$who\"",
        "done",
        "failed=$(printf '%s\\n' \"$results\" | grep -c '^failed$' || true)",
        f"if [ \"$failed\" -gt 0 ]; then echo \"$failed of {int(requests)} requests failed\" >&2; exit 1; fi",
    ]
    for ip in expect_servers or []:
        lines.append(f"printf '%s\\n' \"$results\" | grep -qxF {_q(ip)} || "
                     f"{{ echo {_q(f'{ip} answered no request')} >&2; exit 1; }}")
    for ip in forbid_servers or []:
        lines.append(f"! printf '%s\\n' \"$results\" | grep -qxF {_q(ip)} || "
                     f"{{ echo {_q(f'{ip} is down but answered')} >&2; exit 1; }}")
    return "\n".join(lines)


def vip_recovery_after(disruption: str, url: str, name: str, limit_s: float, labels: str = "") -> str:
    """Run `disruption`, then time how long until `url` serves again."""
    return "\n".join([
        disruption,
        "t0=$(date +%s.%N)",
        _poll_until(f"curl -fsS -m 1 -o /dev/null {_q(url)}", limit_s,
                    f"{url} did not serve again within {int(limit_s)} s"),
        _elapsed_figure(name, labels),
    ])


def only_where_vip(vip: str, script: str) -> str:
    """Run `script` only on the director holding the VIP (for actions sent to both directors)."""
    return (f"if ! ip -o -4 addr show | grep -qF {_q(' ' + vip + '/')}; then\n"
            f"  echo 'not the active director ({vip} is not here): nothing to do'; exit 0\nfi\n{script}")


def wait_for_location(resource: str, node: str, limit_s: float, name: str) -> str:
    """Time until Pacemaker runs `resource` on `node` (the failback after the preferred node returns)."""
    check = located(resource, node)
    return "\n".join([
        "t0=$(date +%s.%N)",
        _poll_until(check, limit_s, f"{resource} did not return to {node} within {int(limit_s)} s"),
        _elapsed_figure(name, f"node={node}"),
    ])


def haproxy_runtime(command: str, socket: str) -> str:
    return f"echo {_q(command)} | socat stdio {_q(socket)}"


def benchmark(vip: str, backend: str, servers: list[str], socket: str, requests: int, concurrency: int,
              pi_intervals: int, with_siege: bool = True) -> str:
    """ab (and siege) on index.php and pi.php with 1..N servers enabled through HAProxy's runtime API."""
    index = f"http://{vip}/index.php"
    pi = f"http://{vip}/pi.php?n={int(pi_intervals)}"
    lines = []
    for count in range(1, len(servers) + 1):
        for i, name in enumerate(servers):
            verb = "enable" if i < count else "disable"
            lines.append(haproxy_runtime(f"{verb} server {backend}/{name}", socket))
        for page, url in (("index.php", index), ("pi.php", pi)):
            lines.append(f"echo \"{BENCH_TAG} tool=ab servers={count} page={page}\"")
            lines.append(f"ab -n {int(requests)} -c {int(concurrency)} -r {_q(url)}")
        if with_siege:
            # -r is repetitions per simulated user in siege: requests/concurrency keeps ab's total.
            reps = max(1, int(requests) // int(concurrency))
            lines.append(f"echo \"{BENCH_TAG} tool=siege servers={count} page=index.php\"")
            lines.append(f"siege -q -j -c {int(concurrency)} -r {reps} {_q(index)}")
    lines += [haproxy_runtime(f"enable server {backend}/{name}", socket) for name in servers]
    return "\n".join(lines)


def until_spread(url: str, servers: list[tuple[str, str]], requests: int, limit_s: float, name: str,
                 failure: str, expect_servers: list[str] | None = None, forbid_servers: list[str] | None = None,
                 labels: str = "") -> str:
    """Time until a round of requests passes `spread`'s conditions (HAProxy's health checks have
    noticed the change), then show that round's figures."""
    check = spread(url, servers, requests, expect_servers, forbid_servers)
    return "\n".join([
        "t0=$(date +%s.%N)",
        _poll_until(f"( {check}\n) >/dev/null 2>&1", limit_s, failure),
        _elapsed_figure(name, labels),
        check,
    ])


def until_error_page(url: str, marker: str, limit_s: float, name: str) -> str:
    """Time until the director answers its local error page (every real server down)."""
    condition = (f"[ \"$(curl -sS -m 2 -o \"$page\" -w '%{{http_code}}' {_q(url)})\" = 503 ] "
                 f"&& grep -qF {_q(marker)} \"$page\"")
    return "\n".join([
        "page=$(mktemp)",
        "t0=$(date +%s.%N)",
        _poll_until(condition, limit_s, f"no local error page (HTTP 503) from {url} within {int(limit_s)} s"),
        _elapsed_figure(name),
        "cat \"$page\"; rm -f \"$page\"",
    ])


def served_by_director(url: str, header: str, names: list[str]) -> str:
    """A condition: the answer's `header` names the director (any of its names, or an FQDN of one)."""
    alternatives = "|".join(re.escape(n) for n in names)
    return (f"curl -sS -m 2 -o /dev/null -D - {_q(url)} 2>/dev/null | tr -d '\\r' | "
            f"grep -qiE {_q('^' + re.escape(header) + ': (' + alternatives + ')([.]|$)')}")


def director_back(start: str, url: str, header: str, names: list[str], limit_s: float, name: str) -> str:
    """Run `start` (power the preferred director on), then time until it serves the VIP again."""
    return "\n".join([
        "t0=$(date +%s.%N)",
        start,
        _poll_until(served_by_director(url, header, names), limit_s,
                    f"{names[0]} did not serve {url} again within {int(limit_s)} s"),
        _elapsed_figure(name, f"node={names[0]}"),
    ])


def precondition(condition: str, failure: str) -> str:
    """Refuse to measure (exit 3, no figure) unless `condition` holds before anything changes."""
    return refuse_if(f"! {{ {condition}; }}", failure)


def refuse_if(condition: str, failure: str) -> str:
    """Refuse to measure (exit 3, no figure) when `condition` holds before anything changes."""
    return (f"if {condition}; then\n"
            f"  echo {_q('precondition not met: ' + failure + '; nothing measured, no figure')} >&2; "
            f"exit {EXIT_PRECONDITION}\nfi")


def serving(url: str) -> str:
    """A condition: the URL answers (below 400) within 2 s."""
    return f"curl -fsS -m 2 -o /dev/null {_q(url)}"


def located(resource: str, node: str) -> str:
    """A condition: Pacemaker runs `resource` on `node`."""
    return f"crm_resource --locate --resource {_q(resource)} 2>/dev/null | grep -qw {_q(node)}"
