"""The verification scripts run for real against PHP's server on loopback, and their figures parse."""

import shutil
import socket
import subprocess
import time

import pytest

from steps import measurements as m
from wizard.base.figures import bench_table, parse_figures

pytestmark = pytest.mark.skipif(not all(shutil.which(t) for t in ("php", "curl", "ab")),
                                reason="needs php, curl and ab (scripts/install-deps.sh)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def php_site(tmp_path):
    """A page that prints an address the way the lab's pages do, served by PHP on loopback."""
    # usleep: siege reports rates with 10 ms resolution; an instant page would read as 0 req/s.
    (tmp_path / "index.php").write_text("<?php usleep(20000); ?><p>Servidor: cluster2 (10.0.100.12)</p>\n")
    (tmp_path / "pi.php").write_text("<?php $n=(int)$_GET['n']; $a=0.0; for($i=0;$i<$n;$i++){$x=($i+0.5)/$n;"
                                     "$a+=4.0/(1.0+$x*$x);} printf('%f 10.0.100.12', $a/$n);\n")
    port = _free_port()
    proc = subprocess.Popen(["php", "-S", f"127.0.0.1:{port}", "-t", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"127.0.0.1:{port}", tmp_path, proc
    proc.kill()
    proc.wait()


def _bash(script: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=timeout)


def test_spread_counts_the_answering_server(php_site):
    addr, _, _ = php_site
    servers = [("cluster2", "10.0.100.12"), ("cluster20", "10.0.100.120"), ("cluster3", "10.0.100.13")]
    done = _bash(m.spread(f"http://{addr}/index.php", servers, 7, expect_servers=["cluster2"]))
    assert done.returncode == 0, done.stderr
    figures = parse_figures(done.stdout.splitlines())
    assert [(f.name, f.value, f.labels) for f in figures] == [("requests", 7.0, {"server": "cluster2"})]
    # A server that should have answered and did not: the script fails, saying which.
    missing = _bash(m.spread(f"http://{addr}/index.php", servers, 3, expect_servers=["cluster3"]))
    assert missing.returncode == 1 and "cluster3 answered no request" in missing.stderr
    forbidden = _bash(m.spread(f"http://{addr}/index.php", servers, 3, forbid_servers=["cluster2"]))
    assert forbidden.returncode == 1 and "cluster2 is down but answered" in forbidden.stderr


def test_spread_reports_failed_requests(php_site):
    addr, _, proc = php_site
    proc.kill()
    proc.wait()
    done = _bash(m.spread(f"http://{addr}/index.php", [("cluster2", "10.0.100.12")], 4))
    assert done.returncode == 1 and "4 of 4 requests failed" in done.stderr


def test_recovery_is_measured(php_site, tmp_path):
    addr, root, proc = php_site
    port = addr.split(":")[1]
    # The disruption: stop the server, start it again 1 s later (as Pacemaker restarts HAProxy).
    disruption = (f"kill {proc.pid}; sleep 0.3; (sleep 1; php -S {addr} -t {root} >/dev/null 2>&1 & "
                  f"echo $! > {tmp_path}/pid) &")
    done = _bash(m.vip_recovery_after(disruption, f"http://{addr}/index.php", "haproxy_recovery", 10))
    try:
        assert done.returncode == 0, done.stderr
        [fig] = parse_figures(done.stdout.splitlines())
        assert fig.name == "haproxy_recovery" and fig.unit == "s"
        assert 0.9 <= fig.value <= 4, fig
    finally:
        subprocess.run(["pkill", "-f", f"php -S 127.0.0.1:{port}"])


def test_recovery_gives_up_at_its_limit(php_site):
    addr, _, proc = php_site
    start = time.monotonic()
    done = _bash(m.vip_recovery_after(f"kill {proc.pid}", f"http://{addr}/index.php", "x", 2))
    assert done.returncode == 1 and "did not serve again within 2 s" in done.stderr
    assert time.monotonic() - start < 6


@pytest.mark.skipif(not shutil.which("siege"), reason="needs siege")
def test_ab_and_siege_output_parse_into_a_table(php_site, tmp_path):
    addr, _, _ = php_site
    # The benchmark script's own tools, on a real server; the runtime-API lines need a socket, so
    # the ab/siege part is run with the same markers the benchmark script prints.
    script = "\n".join(line for line in m.benchmark(addr, "web", ["cluster2"], "/nonexistent", 20, 4, 2000)
                       .splitlines() if "socat" not in line)
    done = _bash(f"export HOME={tmp_path}\n{script}", timeout=120)
    assert done.returncode == 0, done.stderr
    rows = bench_table(parse_figures(done.stdout.splitlines()))
    assert {(r["tool"], r["page"], r["servers"]) for r in rows} == {
        ("ab", "index.php", "1"), ("ab", "pi.php", "1"), ("siege", "index.php", "1")}
    ab_index = next(r for r in rows if r["tool"] == "ab" and r["page"] == "index.php")
    assert ab_index["complete"] == 20 and ab_index["failed"] == 0 and ab_index["rps"] > 0 and ab_index["mean_ms"] > 0
    siege = next(r for r in rows if r["tool"] == "siege")
    assert siege["availability"] == 100 and siege["rps"] > 0


def test_error_page_check(php_site):
    addr, root, _ = php_site
    (root / "down.php").write_text("<?php http_response_code(503); echo 'ha-wizard: no real server is up';\n")
    ok = _bash(m.until_error_page(f"http://{addr}/down.php", "no real server is up", 5, "error_page_after"))
    assert ok.returncode == 0 and "no real server is up" in ok.stdout
    assert parse_figures(ok.stdout.splitlines())[0].name == "error_page_after"
    wrong = _bash(m.until_error_page(f"http://{addr}/index.php", "no real server is up", 2, "x"))
    assert wrong.returncode == 1 and "no local error page (HTTP 503)" in wrong.stderr


def test_director_header_condition(php_site):
    addr, root, _ = php_site
    (root / "d.php").write_text("<?php header('X-HA-Director: master.cluster'); echo 'ok';\n")
    url = f"http://{addr}/d.php"
    assert _bash(m.served_by_director(url, "X-HA-Director", ["master", "cluster1"])).returncode == 0
    assert _bash(m.served_by_director(url, "X-HA-Director", ["standby"])).returncode == 1
    # `mast` is not `master`: whole names only.
    assert _bash(m.served_by_director(url, "X-HA-Director", ["mast"])).returncode == 1
    timed = _bash(m.director_back("true", url, "X-HA-Director", ["master"], 5, "failback"))
    assert timed.returncode == 0 and parse_figures(timed.stdout.splitlines())[0].name == "failback"
