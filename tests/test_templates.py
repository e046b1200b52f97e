"""Templates: StrictUndefined, haproxy.cfg accepted by the real haproxy (and serving the local error
page when no real server is up), the PHP pages valid for the real php, the guide's pi.php source."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import jinja2
import pytest

from assets import environment, render
from steps import resources, verification
from steps.profiles import get_profile
from wizard.base.answers import Answers, Server

HAPROXY = shutil.which("haproxy")
PHP = shutil.which("php")


def test_every_template_renders_strictly():
    names = environment().list_templates(extensions=["j2"])
    assert {"ifcfg.j2", "debian-iface.j2", "hosts-block.j2", "haproxy.cfg.j2", "index.php.j2", "pi.php.j2",
            "ha-wizard-503.http.j2"} <= set(names)
    with pytest.raises(jinja2.UndefinedError):
        render("haproxy.cfg.j2", vip="192.0.2.1", listen_port=80, servers=[], errors_dir="/x")  # no stats_socket
    with pytest.raises(jinja2.UndefinedError):
        render("ifcfg.j2", ifname="eth0", ip="192.0.2.1")


def test_ifcfg_gateway_only_when_given():
    ext = render("ifcfg.j2", ifname="eth0", ip="192.0.2.5", netmask="255.255.255.0", gateway="192.0.2.1",
                 dns="192.0.2.53")
    hb = render("ifcfg.j2", ifname="eth2", ip="198.51.100.5", netmask="255.255.255.192", gateway="", dns="")
    assert "GATEWAY=192.0.2.1\nDNS1=192.0.2.53\nNM_CONTROLLED=no\n" in ext
    assert "GATEWAY" not in hb and "DNS1" not in hb and "UUID" not in hb and hb.endswith("NM_CONTROLLED=no\n")
    deb = render("debian-iface.j2", ifname="eth2", ip="198.51.100.5", prefix=26, gateway="", dns="")
    assert "auto eth2\niface eth2 inet static\n    address 198.51.100.5/26\n" in deb and "gateway" not in deb


def _config(tmp_path: Path, answers: Answers, profile: str = "debian12") -> Path:
    (tmp_path / "ha-wizard-503.http").write_text(resources.error_page(answers))
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(resources.haproxy_config(answers, get_profile(profile), errors_dir=str(tmp_path),
                                            stats_socket=str(tmp_path / "admin.sock")))
    return cfg


@pytest.mark.skipif(not HAPROXY, reason="needs haproxy")
@pytest.mark.parametrize("profile", ["rhel7", "debian12"])
def test_haproxy_cfg_passes_haproxy_check(tmp_path, profile):
    a = Answers()
    a.servers.append(Server(name="web-9", vm="web-9", ip="10.0.100.19"))
    cfg = _config(tmp_path, a, profile)
    text = cfg.read_text()
    assert "bind 192.168.1.200:80" in text and "balance roundrobin" in text and "option httpchk GET /index.php" in text
    assert text.count(" check inter ") == 4 and "server web-9 10.0.100.19:80 check" in text
    assert "stats socket " in text and "level admin" in text and "stats timeout" in text
    res = subprocess.run([HAPROXY, "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr
    # The check is real: a broken error page makes it fail.
    (tmp_path / "ha-wizard-503.http").write_text("not http\n")
    assert subprocess.run([HAPROXY, "-c", "-f", str(cfg)], capture_output=True, timeout=30).returncode != 0


def test_production_config_uses_the_profiles_socket_and_errors_dir():
    text = resources.haproxy_config(Answers(), get_profile("debian12"))
    assert "stats socket /run/haproxy/admin.sock mode 660 level admin" in text
    assert "errorfile 503 /etc/haproxy/errors/ha-wizard-503.http" in text
    assert "stats socket /var/lib/haproxy/stats " in resources.haproxy_config(Answers(), get_profile("rhel7"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not HAPROXY, reason="needs haproxy")
def test_local_error_page_when_every_server_is_down(tmp_path):
    """Real haproxy on loopback, its only real server a closed port: clients get the local 503 page."""
    a = Answers()
    a.vip.external = "127.0.0.1"
    a.servers = [Server(name="down", vm="down", ip="127.0.0.1")]
    cfg = _config(tmp_path, a)
    port, dead = _free_port(), _free_port()
    text = cfg.read_text().replace("127.0.0.1:80\n", f"127.0.0.1:{port}\n").replace("127.0.0.1:80 ", f"127.0.0.1:{dead} ")
    text = text.replace("    user haproxy\n    group haproxy\n", "").replace("    daemon\n", "")
    cfg.write_text(text)
    proc = subprocess.Popen([HAPROXY, "-db", "-f", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        reply = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(b"GET /index.php HTTP/1.0\r\nHost: x\r\n\r\n")
                    reply = b"".join(iter(lambda: s.recv(4096), b""))
                break
            except OSError:
                time.sleep(0.1)
        assert reply.startswith(b"HTTP/1.0 503"), reply[:200]
        assert b"ha-wizard: no real server available" in reply
        # Even the error page names the director that answered (how the wizard sees a failback).
        assert f"x-ha-director: {socket.gethostname()}\r\n".encode() in reply.lower(), reply[:300]
        assert (tmp_path / "admin.sock").exists()  # the stats socket the verification reads
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_hosts_block_between_markers():
    block = render("hosts-block.j2", entries=[{"ip": "10.1.1.1", "names": ["a.lan", "a", "x"]},
                                              {"ip": "10.2.2.2", "names": ["a-hb"]}])
    assert block == "10.1.1.1        a.lan a x\n10.2.2.2        a-hb\n"
    # The action writes it between the markers (Ansible's blockinfile adds the same marker lines).
    from steps._common import HOSTS_MARKER, hosts_action
    from wizard.base.answers import Answers

    action = hosts_action("nic_add", Answers(), "master")
    assert action.content.startswith("# BEGIN ha-wizard\n") and action.content.endswith("\n# END ha-wizard\n")
    assert HOSTS_MARKER.format(mark="BEGIN") == "# BEGIN ha-wizard"


GUIDE_PI_LINES = [
    "$start=microtime(true);", "$area=0.0;", '$n=$_GET["n"];', "for ($i=0; $i<$n; $i++)", "    $x=($i+0.5)/$n;",
    "    $area=$area+4.0/(1.0+$x*$x);", "$result=$area/$n;", "$end=microtime(true);", "$exectime=$end-$start;",
    'echo "<br>Calculo de PI<br><br>";',
    'printf ("La cte. PI con n= %d es igual a %f<br>", $n, $result);',
    'printf ("Tiempo de ejecucion= %.5f segundos<br>", $exectime);',
    "printf (\"<br>El servidor es %s<br>\", $_SERVER['SERVER_ADDR']);",
]


def test_pi_php_is_the_guides_source():
    src = verification.pi_php()
    lines = src.splitlines()
    assert lines[:3] == ["<html>", "<body>", "<?php"] and lines[-3:] == ["?>", "</body>", "</html>"]
    pos = 0
    for line in GUIDE_PI_LINES:
        assert line in lines[pos:], line
        pos = lines.index(line, pos) + 1


@pytest.mark.skipif(not PHP, reason="needs php-cli")
def test_php_pages_run(tmp_path):
    pi = tmp_path / "pi.php"
    pi.write_text(verification.pi_php())
    index = tmp_path / "index.php"
    index.write_text(verification.index_php())
    for f in (pi, index):
        assert subprocess.run([PHP, "-l", str(f)], capture_output=True, timeout=30).returncode == 0
    code = f'$_GET["n"]=100000; $_SERVER["SERVER_ADDR"]="10.0.100.12"; include "{pi}";'
    out = subprocess.run([PHP, "-r", code], capture_output=True, text=True, timeout=30).stdout
    assert "La cte. PI con n= 100000 es igual a 3.14159" in out and "El servidor es 10.0.100.12" in out
    code = f'$_SERVER["SERVER_ADDR"]="10.0.100.13"; include "{index}";'
    out = subprocess.run([PHP, "-r", code], capture_output=True, text=True, timeout=30).stdout
    assert f"served-by: {socket.gethostname()} 10.0.100.13" in out
