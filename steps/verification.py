"""Section 11: the web service works through the VIP, survives failures, and its benchmarks."""

from __future__ import annotations

from assets import render
from steps._common import all_of, prefix, q, re_ip, vbox, vboxmanage_word, vm_running, write
from steps.centos_vault import epel_archive_actions
from steps.measurements import (
    benchmark,
    director_back,
    located,
    only_where_vip,
    precondition,
    refuse_if,
    serving,
    spread,
    until_error_page,
    until_spread,
    vip_recovery_after,
    wait_for_location,
)
from steps.model import Action, File, HostOp, Http, Packages, Target, Text
from steps.profiles import Profile
from steps.resources import DIRECTOR_HEADER
from wizard.base.answers import Answers
from wizard.base.reach import web_forward_host

ID = "verification"
TITLE = Text("Verify the web service", "Verificar el servidor web")
EXPLANATION = Text(
    en=(
        "To check the installation, request http://<external VIP>/index.php from one of the cluster machines "
        "(master/cluster1 or standby), e.g. with a text browser such as w3m; or set a port forward in "
        "VirtualBox's NAT network and open http://localhost:5280/index.php on the host (from another lab "
        "machine: http://<host address>:5280/index.php).\n\n"
        "The tests to run: (1) everything up: the active director spreads the load over the real servers; "
        "(2) a director down (power it off with `poweroff`, or unplug its heartbeat cable): the survivor takes "
        "over and spreads the load; (3) one or more real servers down: the survivors serve, and with all of them "
        "down the director shows a local error page; (4) one director and a single real server; (5) a software "
        "failure: `systemctl stop haproxy` — reloading fails, and about 5 s later pacemaker notices the HAproxy "
        "resource is down and starts it again.\n\n"
        "Then benchmarks, from master: apachebench (`ab -n 100 -c 10`: -n total requests, -c concurrent ones) "
        "and siege (`siege -c 10 -r 100`) against index.php, and against pi.php, a page that computes pi by "
        "numerical integration (`pi.php?n=1000000` intervals) and prints the serving server's address. Run them "
        "with one, two and all real servers up: the time per request should fall as servers are added; with an "
        "estimate of simultaneous requests and a target response time this tells how many servers the farm "
        "needs."
    ),
    es=(
        "Para comprobar que la instalación es correcta, lanzaremos en una de las máquinas, cluster1 o standby, "
        "un navegador solicitando la URL http://<VIP externa>/index.php (podemos utilizar el navegador w3m). "
        "Alternativamente, podemos establecer una redirección de puertos en VirtualBox; en ese caso la URL a la "
        "que acceder desde un navegador de la máquina física (host) es http://localhost:5280/index.php, y desde "
        "otra máquina del laboratorio http://direccion_IP_host:5280/index.php.\n\n"
        "Pruebas: (1) que el sistema funciona con todos sus elementos activos: el distribuidor activo reparte la "
        "carga entre los servidores reales; (2) que funciona cuando se apaga un distribuidor de carga (con "
        "`poweroff` o desconectando virtualmente el cable de la interfaz de latido): el superviviente se hace "
        "cargo del servicio; (3) que funciona cuando se apagan uno o varios servidores reales: los supervivientes "
        "se hacen cargo, y si todos están apagados el distribuidor ofrece una página local de error; (4) que "
        "funciona con un distribuidor y un solo servidor real; (5) un fallo software: `systemctl stop haproxy` — "
        "no es posible recargar la página y, pasados 5 segundos, pacemaker se da cuenta de que el recurso "
        "HAproxy ha caído y lo lanza de nuevo.\n\n"
        "Después, benchmarks desde el nodo master: apachebench (`ab -n 100 -c 10`: -n número total de "
        "peticiones, -c peticiones concurrentes) y siege (`siege -c 10 -r 100`) contra index.php, y contra "
        "pi.php, una página que calcula pi mediante integración numérica (`pi.php?n=1000000` intervalos) e "
        "imprime la dirección del servidor. Se pueden realizar con uno, dos o todos los servidores activos: el "
        "tiempo de respuesta por petición debe disminuir a medida que aumentamos el número de servidores; con "
        "una estimación de las peticiones simultáneas y un tiempo de respuesta razonable, es posible estimar el "
        "número de servidores que debería tener la granja."
    ),
)
USES = ["vip.external", "virtualbox.natnetwork", "virtualbox.host_port", "bench_requests", "bench_concurrency",
        "pi_intervals", "directors[].name", "directors[].vm", "directors[].heartbeat_if", "servers[].name",
        "servers[].vm", "networks.external"]
ERRATA = [
    Text(en="siege's -r is not the total number of requests but repetitions per simulated user: "
            "`siege -c 10 -r 100` makes 10 × 100 = 1000 requests (ab -n 100 -c 10 makes 100). The wizard keeps "
            "the guide's numbers and says so; for equal totals use -r n/c.",
         es="La opción -r de siege no es el número total de peticiones sino las repeticiones por usuario "
            "simulado: `siege -c 10 -r 100` hace 10 × 100 = 1000 peticiones (ab -n 100 -c 10 hace 100). El "
            "asistente mantiene los números de la guía y lo indica; para igualar totales usa -r n/c."),
    Text(en="The URL `http://…/pi.php?n=1000000` is quoted: an unquoted `?` is a shell wildcard.",
         es="La URL `http://…/pi.php?n=1000000` va entre comillas: un `?` sin comillas es un comodín del shell."),
]

PAGE = "index.php"


def index_php(title: str = "ha-wizard") -> str:
    """The page a real server serves (the lab reuses it): it prints the serving host and address."""
    return render("index.php.j2", title=title)


def pi_php() -> str:
    return render("pi.php.j2")


ERROR_MARKER = "no real server available"  # in assets/ha-wizard-503.http.j2

# Where a failed test most likely comes from, shown with the failure.
WHY_NO_ANSWER = ("Nothing answers on the VIP: `pcs status` on a director — are VIP_externa and HAproxy Started? "
                 "Is haproxy.cfg bound to the VIP (section “Cluster resources”)? A 503 page instead means haproxy "
                 "runs but marks "
                 "every real server down: check their web server and that they route through the internal VIP "
                 "(section “Real servers' gateway”: `ip route` on a server).")
WHY_NO_ANSWER_ES = ("Nada responde en la VIP: `pcs status` en un director — ¿están VIP_externa y HAproxy Started? "
                    "¿Escucha haproxy.cfg en la VIP (sección «Recursos del clúster»)? Si sale la página 503, haproxy "
                    "funciona pero ve "
                    "caídos todos los servidores reales: revisa su servidor web y que su pasarela sea la VIP "
                    "interna (sección «Pasarela de los servidores reales»: `ip route` en un servidor).")


def plan(answers: Answers, profile: Profile) -> list[Action]:
    m, s = answers.master, answers.standby
    vip = answers.vip.external
    url = f"http://{vip}/{PAGE}"
    pi_url = f"http://{vip}/pi.php?n={answers.pi_intervals}"
    vb = answers.virtualbox
    hv = vboxmanage_word(answers)
    port = vb.host_port
    # The wizard's host reaches the VIP through the NAT network's port forward (VirtualBox and the lab), on
    # the loopback address the directors' forwards use (localhost unless they name another).
    fwd_url = f"http://{web_forward_host(answers)}:{port}/{PAGE}"
    master = Target.node(m.name)
    directors = Target.of_group("directors", [d.name for d in answers.directors])
    local = Target.local()
    rule = f"http2:tcp:[]:{port}:[{vip}]:80"
    n, c = answers.bench_requests, answers.bench_concurrency
    servers = [sv.name for sv in answers.servers]
    farm = [(sv.name, sv.ip) for sv in answers.servers]
    rounds = 3 * len(servers)
    fail = dict(on_fail=WHY_NO_ANSWER, on_fail_es=WHY_NO_ANSWER_ES)

    # A measurement powers a VM off or on only from the state it measures from: re-run after an
    # interruption that already changed it, it is refused (no figure) rather than timing nothing.
    def stop_vm(vm: str) -> str:
        return (precondition(vm_running(answers, vm).sh, f"{vm} must be running before the test powers it off")
                + f"\n{hv} controlvm {q(vm)} poweroff")

    def start_vm(vm: str) -> str:
        return (refuse_if(vm_running(answers, vm).sh, f"{vm} must be off before the test powers it on")
                + f"\n{hv} startvm {q(vm)} --type headless")

    def start_if_off(vm: str) -> str:  # not a measurement: just make sure it runs
        return f"{vm_running(answers, vm).sh} || {hv} startvm {q(vm)} --type headless"

    def page(url: str) -> HostOp:
        return HostOp.of("http_page", url=url)

    def rounds_of(n_requests: int, expect: list[str], forbid: list[str] | None = None) -> HostOp:
        return HostOp.of("spread", url=fwd_url, servers=farm, requests=n_requests, expect=expect,
                         forbid=forbid or [])

    actions = [
        Action(id=f"{ID}.curl.{m.name}", kind="check", target=master, command=f"curl -fsS {q(url)}",
               intent=Http(url),
               tags=("check",), title="The web page on the VIP", title_es="La página web en la VIP",
               why="The web service answers on the external VIP.",
               why_es="El servicio web responde en la VIP externa.", **fail),
        Action(id=f"{ID}.port_forward", kind="run", target=local,
               **vbox(answers, "natnetwork", "modify", "--netname", vb.natnetwork, "--port-forward-4", rule),
               probe=f"{hv} list natnetworks | grep -qF {q(rule)}",
               host_probe=HostOp.of("natnetwork_has_rule", netname=vb.natnetwork, rule=rule), idempotent=False,
               title=f"Port {port} to the VIP", title_es=f"Puerto {port} a la VIP",
               why=f"Host port {port} forwards to the VIP's port 80.",
               why_es=f"El puerto {port} del host redirige al puerto 80 de la VIP."),
        Action(id=f"{ID}.curl_forward", kind="check", target=local, command=f"curl -fsS {q(fwd_url)}",
               intent=Http(fwd_url),
               host=page(fwd_url), tags=("check",), title=f"The page on port {port}",
               title_es=f"La página en el puerto {port}", why="The page through the host's port forward.",
               why_es="La página a través de la redirección de puertos del host.", **fail),
    ]
    actions += [
        # --- 1. all up ----------------------------------------------------------------------------
        Action(id=f"{ID}.all_up", kind="run", target=master, tags=("failover", "all-up"),
               command=spread(url, farm, rounds, expect_servers=servers),
               title="All up: requests spread", title_es="Reparto con todo activo",
               why=f"All up: {rounds} requests to the VIP, spread over every real server (count per server).",
               why_es=f"Todo activo: {rounds} peticiones a la VIP, repartidas entre todos los servidores reales "
                      "(cuántas sirve cada uno).", **fail),
        # --- 2. a director down ---------------------------------------------------------------------
        Action(id=f"{ID}.vips_on_master", kind="check", target=master, tags=("failover", "director-down"),
               command="ip -o -4 addr show", expect=re_ip(vip, prefix(answers.networks.external)),
               title=f"The VIPs on {m.name}", title_es=f"Las VIP en {m.name}",
               why=f"Before the test: {m.name}, the preferred director, holds the VIPs.",
               why_es=f"Antes de la prueba: {m.name}, el director preferido, tiene las VIP.",
               on_fail=f"The resources are not on {m.name}: `pcs status`; the location constraint (section "
                       f"“Constraints and restart”).",
               on_fail_es=f"Los recursos no están en {m.name}: `pcs status`; la restricción de ubicación "
                          "(sección «Restricciones y reinicio»)."),
        Action(id=f"{ID}.director_down", kind="run", target=local, tags=("failover", "director-down"),
               command=(precondition(serving(fwd_url), f"{fwd_url} must serve before {m.name} is powered off")
                        + "\n" + vip_recovery_after(stop_vm(m.vm), fwd_url, "director_failover", 90,
                                                    f"off={m.name}")),
               host=HostOp.of("measure", name="director_failover", poweroff=m.vm, serving=fwd_url,
                              until=HostOp.of("http_serves", url=fwd_url), limit_s=90, labels=[("off", m.name)],
                              failure="measure.fail.vip_back", failure_values=[("url", fwd_url)]),
               timeout=150,
               title=f"Failover: {m.name} off", title_es=f"Conmutación: {m.name} apagado",
               why=f"Power {m.name} off (as pulling its plug): seconds until the VIP serves again from {s.name}.",
               why_es=f"Apagar {m.name} (como desenchufarlo): segundos hasta que la VIP vuelve a servir desde "
                      f"{s.name}.",
               on_fail=(f"{s.name} did not take the VIPs: `pcs status` on {s.name} (is {m.name} OFFLINE? are "
                        "stonith-enabled=false and no-quorum-policy=ignore set, section “STONITH and quorum”?)."),
               on_fail_es=(f"{s.name} no se quedó con las VIP: `pcs status` en {s.name} (¿{m.name} OFFLINE? "
                           "¿stonith-enabled=false y no-quorum-policy=ignore, sección «STONITH y quorum»?).")),
        Action(id=f"{ID}.vips_on_standby", kind="check", target=Target.node(s.name),
               tags=("failover", "director-down"), command="ip -o -4 addr show",
               expect=all_of(re_ip(vip, prefix(answers.networks.external)),
                             re_ip(answers.vip.internal, prefix(answers.networks.internal))),
               title=f"The VIPs on {s.name}", title_es=f"Las VIP en {s.name}",
               why=f"With {m.name} down, {s.name} holds both VIPs.",
               why_es=f"Con {m.name} caído, {s.name} tiene las dos VIP."),
        Action(id=f"{ID}.director_unplug", kind="manual", target=local, tags=("failover", "director-down", "manual"),
               command="",
               instructions=(f"Optional, the guide's other way: unplug the cable of a running director's NIC on "
                             f"{vb.heartbeat_network} "
                             f"({hv} controlvm {q(m.vm)} setlinkstate3 off). Without fencing each director then "
                             f"believes the other dead and both take the VIPs (split brain): this is why production "
                             f"clusters keep STONITH on. Plug it back (setlinkstate3 on) and the cluster settles "
                             f"again."),
               instructions_es=(f"Opcional, la otra forma de la guía: desconecta el cable de la red "
                                f"{vb.heartbeat_network} de un director en marcha ({hv} controlvm {q(m.vm)} "
                                f"setlinkstate3 off). Sin fencing cada director cree muerto al otro y ambos "
                                f"toman las VIP (split brain): por eso en producción STONITH "
                                f"sigue activo. Vuelve a conectarlo (setlinkstate3 on) y el clúster se recompone."),
               title="Unplug the heartbeat cable", title_es="Desconectar el cable de latido",
               why="The heartbeat cable test, by hand.", why_es="La prueba del cable de latido, a mano."),
        # --- 3. real servers down -------------------------------------------------------------------
    ]
    dead: list[str] = []
    for sv in answers.servers[:-1]:
        dead.append(sv.name)
        alive = [x for x in servers if x not in dead]
        actions.append(Action(
            id=f"{ID}.server_down.{sv.name}", kind="run", target=local, tags=("failover", "servers-down"),
            command=(stop_vm(sv.vm) + "\n"
                     + until_spread(fwd_url, farm, 2 * len(alive), 60, "server_down_detected",
                                    f"requests still fail or reach {sv.name} after 60 s", alive, dead,
                                    f"off={sv.name}")),
            host=HostOp.of("measure", name="server_down_detected", poweroff=sv.vm,
                           until=rounds_of(2 * len(alive), alive, dead), limit_s=60, labels=[("off", sv.name)],
                           failure="measure.fail.server_still", failure_values=[("server", sv.name)]),
            timeout=120,
            title=f"{sv.name} off: HAProxy notices", title_es=f"{sv.name} apagado: HAProxy lo nota",
            why=f"Power {sv.name} off: seconds until HAProxy's health checks stop sending it requests; "
                "the survivors serve.",
            why_es=f"Apagar {sv.name}: segundos hasta que los chequeos de HAProxy dejan de enviarle peticiones; "
                   "sirven los supervivientes.",
            on_fail="HAProxy keeps sending requests to a dead server: `check` on every server line of "
                    "haproxy.cfg (section “Cluster resources”), `option redispatch`.",
            on_fail_es="HAProxy sigue enviando peticiones a un servidor caído: `check` en cada servidor de "
                       "haproxy.cfg (sección «Recursos del clúster»), `option redispatch`."))
    last = answers.servers[-1]
    back_why = f"{m.name} is back: seconds until the resources return to it (the location constraint)."
    back_why_es = f"{m.name} ha vuelto: segundos hasta que recupera los recursos (restricción de ubicación)."
    back_fail = dict(
        on_fail=f"The resources stay on {s.name}: is {m.name} Online in `pcs status` (did its cluster services "
                "start at boot — `pcs cluster enable --all`, section “Create and start the cluster”)?",
        on_fail_es=f"Los recursos siguen en {s.name}: ¿está {m.name} Online en `pcs status` (¿arrancan sus "
                   "servicios de clúster al inicio? `pcs cluster enable --all`, sección «Crear y arrancar el "
                   "clúster»)?")
    others = [sv.vm for sv in answers.servers[1:]]
    other_servers = "\n".join(start_if_off(vm) for vm in others) or "true"
    if profile.haproxy_director_header:
        # Timed from the power-on, seen from this machine: the answers name the serving director.
        restore = [
            Action(id=f"{ID}.failback", kind="run", target=local, tags=("failover", "restore"),
                   command=(refuse_if(vm_running(answers, m.vm).sh, f"{m.vm} must be off before the test powers it on")
                            + "\n" + director_back(f"{hv} startvm {q(m.vm)} --type headless", fwd_url, DIRECTOR_HEADER,
                                                   [m.name, *m.aliases], 300, "failback")),
                   host=HostOp.of("measure", name="failback", poweron=m.vm, clock_first=True,
                                  until=HostOp.of("served_by", url=fwd_url, header=DIRECTOR_HEADER,
                                                  names=[m.name, *m.aliases]),
                                  limit_s=300, labels=[("node", m.name)], failure="measure.fail.failback",
                                  failure_values=[("node", m.name), ("url", fwd_url)]),
                   timeout=330, title=f"Failback to {m.name}", title_es=f"Vuelta a {m.name}",
                   why=f"Power {m.name} on. " + back_why, why_es=f"Encender {m.name}. " + back_why_es,
                   **back_fail),
            Action(id=f"{ID}.power_on", kind="run", target=local, tags=("failover", "restore"),
                   command=other_servers, host=HostOp.of("start_vms", vms=others),
                   title="Power the real servers on", title_es="Encender los servidores reales",
                   why="Power the real servers on again.",
                   why_es="Volver a encender los servidores reales."),
        ]
    else:  # HAProxy 1.5 can't name the director: ask Pacemaker on the standby, once master is up
        restore = [
            Action(id=f"{ID}.power_on", kind="run", target=local, tags=("failover", "restore"),
                   command=start_if_off(m.vm) + "\n" + other_servers,
                   host=HostOp.of("start_vms", vms=[m.vm, *others]),
                   title=f"Power {m.name} and the servers on", title_es=f"Encender {m.name} y los servidores",
                   why=f"Power {m.name} and the real servers on again.",
                   why_es=f"Volver a encender {m.name} y los servidores reales."),
            Action(id=f"{ID}.failback", kind="run", target=Target.node(s.name), tags=("failover", "restore"),
                   command=(refuse_if(located("HAproxy", m.ring_name),
                                      f"HAproxy already runs on {m.ring_name}: the clock would start after the "
                                      "failback")
                            + "\n" + wait_for_location("HAproxy", m.ring_name, 300, "failback")), timeout=330,
                   title=f"Failback to {m.name}", title_es=f"Vuelta a {m.name}",
                   why=back_why, why_es=back_why_es, **back_fail),
        ]
    actions += [
        Action(id=f"{ID}.all_servers_down", kind="run", target=local, tags=("failover", "servers-down"),
               command=(stop_vm(last.vm) + "\n"
                        + until_error_page(fwd_url, ERROR_MARKER, 60, "error_page_after")),
               host=HostOp.of("measure", name="error_page_after", poweroff=last.vm,
                              until=HostOp.of("error_page", url=fwd_url, marker=ERROR_MARKER), limit_s=60,
                              failure="measure.fail.error_page", failure_values=[("url", fwd_url)]),
               timeout=120,
               title="No real server: error page", title_es="Sin servidores: página de error",
               why=f"Power {last.name} off too: with no real server left the director answers its local error "
                   "page (503).",
               why_es=f"Apagar también {last.name}: sin servidores reales el director responde su página de "
                      "error local (503).",
               on_fail="No local error page: the `errorfile 503` line of haproxy.cfg and its file (section “Cluster "
                       "resources”).",
               on_fail_es="Sin página de error local: la línea `errorfile 503` de haproxy.cfg y su fichero "
                          "(sección «Recursos del clúster»)."),
        # --- 4. one director and one real server ------------------------------------------------------
        Action(id=f"{ID}.one_and_one", kind="run", target=local, tags=("failover", "one-and-one"),
               command=(start_vm(answers.servers[0].vm) + "\n"
                        + until_spread(fwd_url, farm, 4, 180, "one_and_one_serving",
                                       f"{servers[0]} did not serve through {s.name} within 180 s",
                                       [servers[0]], servers[1:], f"director={s.name} server={servers[0]}")),
               host=HostOp.of("measure", name="one_and_one_serving", poweron=answers.servers[0].vm,
                              until=rounds_of(4, [servers[0]], servers[1:]), limit_s=180,
                              labels=[("director", s.name), ("server", servers[0])],
                              failure="measure.fail.one_and_one",
                              failure_values=[("server", servers[0]), ("director", s.name)]),
               timeout=240,
               title="One director, one server", title_es="Un director y un servidor",
               why=f"One director ({s.name}) and one real server ({servers[0]}, powered on again): it serves.",
               why_es=f"Un director ({s.name}) y un servidor real ({servers[0]}, encendido de nuevo): sirve.",
               **fail),
        # --- back to everything up: the preferred director takes the resources back ---------------------
        *restore,
        Action(id=f"{ID}.all_back", kind="run", target=local, tags=("failover", "restore"),
               command=until_spread(fwd_url, farm, rounds, 300, "all_servers_back",
                                    "not every real server serves again after 300 s", servers),
               host=HostOp.of("measure", name="all_servers_back", until=rounds_of(rounds, servers), limit_s=300,
                              failure="measure.fail.all_back"),
               timeout=330, title="Every real server back", title_es="Vuelven todos los servidores",
               why="Every real server serves again.", why_es="Todos los servidores reales sirven."),
        # --- 5. software failure -------------------------------------------------------------------
        Action(id=f"{ID}.haproxy_stop", kind="run", target=directors, tags=("failover", "software"),
               command=only_where_vip(vip, precondition(serving(url), f"{url} must serve before haproxy is stopped")
                                      + "\n" + vip_recovery_after("systemctl stop haproxy", url, "haproxy_recovery",
                                                                  60)
                                      + "\npcs resource cleanup HAproxy >/dev/null"),
               timeout=90,
               title="Software failure: haproxy stops", title_es="Fallo software: se para haproxy",
               why="Software failure: stop haproxy on the active director; seconds until Pacemaker's monitor "
                   "(every 5 s) notices and starts it again, then its failure record is cleaned up.",
               why_es="Fallo software: parar haproxy en el director activo; segundos hasta que el monitor de "
                      "Pacemaker (cada 5 s) lo detecta y lo relanza; después se limpia el registro del fallo.",
               on_fail="Pacemaker did not restart haproxy: `pcs status` (HAproxy failed actions), the resource's "
                       "monitor operation (section “Cluster resources”).",
               on_fail_es="Pacemaker no relanzó haproxy: `pcs status` (acciones fallidas de HAproxy), la "
                          "operación monitor del recurso (sección «Recursos del clúster»)."),
        # --- benchmarks ------------------------------------------------------------------------------
        Action(id=f"{ID}.bench_install", kind="run", target=master, tags=("bench",),
               command=profile.install(profile.bench_packages), timeout=1200,
               title="Install ab", title_es="Instalar ab",
               intent=Packages(profile.bench_packages),
               why="apachebench (ab) on master.", why_es="apachebench (ab) en master."),
        Action(id=f"{ID}.ab", kind="run", target=master, tags=("bench", "ab"),
               command=f"ab -n {n} -c {c} {q(url)}", timeout=600,
               title=f"ab on {PAGE}", title_es=f"ab sobre {PAGE}",
               why=f"{n} requests, {c} at a time, to {PAGE}.", why_es=f"{n} peticiones, {c} a la vez, a {PAGE}."),
    ]
    if profile.bench_repo:
        actions.append(Action(id=f"{ID}.bench_repo", kind="run", target=master, tags=("bench",),
                              command=profile.install(profile.bench_repo), timeout=1200,
                              title="The EPEL repository", title_es="El repositorio EPEL",
                              intent=Packages(profile.bench_repo),
                              why="The EPEL repository, which has siege.",
                              why_es="El repositorio EPEL, que tiene siege."))
    if profile.centos_vault:
        actions += epel_archive_actions(ID, master)  # EPEL 7 lives in its archive now (steps/centos_vault.py)
    if profile.bench_extra:
        actions.append(Action(id=f"{ID}.bench_extra", kind="run", target=master, tags=("bench",),
                              command=profile.install(profile.bench_extra), timeout=1200,
                              title="Install siege", title_es="Instalar siege",
                              intent=Packages(profile.bench_extra),
                              why="siege on master.", why_es="siege en master."))
    actions += [
        Action(id=f"{ID}.siege", kind="run", target=master, tags=("bench", "siege"),
               command=f"siege -c {c} -r {n} {q(url)}", timeout=600,
               title=f"siege on {PAGE}", title_es=f"siege sobre {PAGE}",
               why=f"siege: {c} users × {n} repetitions = {c * n} requests (not {n}: -r counts per user).",
               why_es=f"siege: {c} usuarios × {n} repeticiones = {c * n} peticiones (no {n}: -r es por usuario)."),
        write(f"{ID}.pi_page", Target.of_group("servers", servers), File.of(f"{profile.web_root}/pi.php", "pi.php.j2"),
              tags=("bench", "pi"), title="pi.php on the servers", title_es="pi.php en los servidores",
              why="The guide's pi.php on the real servers (same file; a shared web root just gets it again).",
              why_es="El pi.php de la guía en los servidores reales (el mismo fichero; si la raíz web es "
                     "compartida simplemente se reescribe)."),
        Action(id=f"{ID}.ab_pi", kind="run", target=master, tags=("bench", "ab", "pi"),
               command=f"ab -n {n} -c {c} -r {q(pi_url)}", timeout=1200, erratum="unquoted ? in the pi.php URL",
               erratum_es="? sin comillas en la URL de pi.php",
               title="ab on pi.php", title_es="ab sobre pi.php",
               why="A heavier page: pi by numerical integration on the real servers.",
               why_es="Una página más pesada: pi por integración numérica en los servidores reales."),
        Action(id=f"{ID}.bench_matrix", kind="run", target=directors, tags=("bench", "ab", "siege", "pi"),
               command=only_where_vip(vip, benchmark(vip, "farm", servers, profile.haproxy_socket, n, c,
                                                     answers.pi_intervals)),
               timeout=3600, title="ab and siege with 1, 2, 3 servers", title_es="ab y siege con 1, 2, 3 servidores",
               why=f"ab and siege on {PAGE} and pi.php with 1..{len(servers)} real servers enabled (the others "
                   "disabled through HAProxy's runtime API, not killed): requests/s and mean time per request.",
               why_es=f"ab y siege sobre {PAGE} y pi.php con 1..{len(servers)} servidores reales habilitados (el "
                      "resto deshabilitados con la API de HAProxy, no apagados): peticiones/s y tiempo medio.",
               on_fail="`socat` missing, or the stats socket path differs from haproxy.cfg's `stats socket`.",
               on_fail_es="Falta `socat`, o la ruta del socket difiere de `stats socket` en haproxy.cfg."),
    ]
    return actions
