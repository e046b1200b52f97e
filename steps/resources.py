"""Section 8: the three cluster resources: external VIP, internal VIP, HAProxy."""

from __future__ import annotations

from assets import render
from steps._common import prefix, q, write
from steps.model import Action, File, Service, Target, Text
from steps.profiles import Profile
from wizard.base.answers import Answers

ID = "resources"
TITLE = Text("Cluster resources: VIPs and HAProxy", "Recursos del clúster: VIP y HAProxy")
EXPLANATION = Text(
    en=(
        "`pcs resource list` lists every resource pacemaker can manage and `pcs resource describe "
        "ocf:heartbeat:IPaddr2` describes one type. Resource agents are scripts (usually in "
        "/usr/lib/ocf/resource.d/heartbeat) that tell pacemaker how to start, stop and monitor each resource.\n\n"
        "Three resources: (1) the external virtual IP (e.g. 192.168.1.200): the load balancing can move between "
        "master and standby, so clients use an address that is an alias of whichever machine serves at the "
        "moment, the web server's public address. (2) The internal virtual IP (e.g. 10.0.100.200): when a "
        "balancer fails, the surviving one must be the real servers' gateway, so their gateway becomes this VIP "
        "(section “Real servers' gateway”). Without it, with the real servers' gateway set to master's real internal "
        "address, "
        "replies would never reach the clients once master failed. (3) The load balancer itself, HAProxy.\n\n"
        "Before pacemaker runs haproxy, on both nodes stop and disable the haproxy service: pacemaker now starts, "
        "stops and monitors it. On both nodes /etc/haproxy/haproxy.cfg must make haproxy listen on port 80 of "
        "the external VIP, and be exactly the same on both: the seminar-3 file with `bind <VIP>:80` instead of "
        "`bind <master's address>:80`. The wizard writes a complete file: round-robin over the real servers with "
        "health checks, a local error page when none is up, and a stats socket used by the verification.\n\n"
        "Something the guide leaves out: haproxy refuses to start where the VIP is not an address of the "
        "machine (\"cannot bind socket\"). The start order of the section “Constraints and restart” covers "
        "pacemaker's own starts, but not "
        "everything: HAproxy is created here before any constraint exists, so pacemaker may first try it on the "
        "node without the VIP (a failed start counts against that node); and a manual `systemctl start haproxy` "
        "on the standby, or a check of the configuration by starting it, fails too. So the wizard sets "
        "`net.ipv4.ip_nonlocal_bind = 1` on both directors, in a file of /etc/sysctl.d (kept at every boot) "
        "and applied at once with `sysctl -p`: haproxy may then listen on the VIP wherever it runs, and it "
        "answers only where the VIP is.\n\n"
        "Pacemaker checks every resource periodically (monitor interval) and starts it again if it fell; past a "
        "number of failures it moves it to the other node (fail over). HAProxy itself checks the real servers "
        "and stops sending requests to the ones that are down."
    ),
    es=(
        "Para ver una lista de todos los recursos que puede gestionar pacemaker: `pcs resource list`; para "
        "obtener información sobre un tipo de recurso concreto: `pcs resource describe ocf:heartbeat:IPaddr2`. "
        "Los agentes de recursos son scripts que se encuentran normalmente en el directorio "
        "/usr/lib/ocf/resource.d/heartbeat y le indican a pacemaker la forma correcta de iniciar, parar y "
        "monitorizar cada uno de los recursos que es capaz de gestionar.\n\n"
        "Son tres recursos: (1) la IP virtual en la red externa (por ejemplo 192.168.1.200): ya que el servicio "
        "de distribución de carga puede migrar entre master y standby, hay que definir una IP virtual que será "
        "un alias de la máquina que, en cada momento, esté dando servicio; será la dirección \"pública\" del "
        "servidor web. (2) La IP virtual en la red interna (por ejemplo 10.0.100.200): si falla uno de los "
        "distribuidores de carga, el superviviente debe hacer de \"gateway\" de los servidores reales, así que "
        "su gateway será esta VIP (sección «Pasarela de los servidores reales»). Sin ella, con la IP real de master "
        "como pasarela, si master "
        "dejase de funcionar las respuestas no llegarían a los clientes. (3) El propio servicio de distribución "
        "de carga: HAproxy.\n\n"
        "Antes de que pacemaker lance a ejecución el demonio haproxy, en ambos nodos paramos y deshabilitamos el "
        "servicio, pues ahora pacemaker se encarga de su puesta en marcha, su parada y la monitorización de su "
        "estado. En ambos nodos el fichero /etc/haproxy/haproxy.cfg ha de hacer que haproxy escuche en el puerto "
        "80 de la VIP externa, y ha de ser exactamente igual en ambos nodos: el del seminario 3 cambiando "
        "`bind <IP de master>:80` por `bind <VIP>:80`. El asistente escribe un fichero completo: reparto "
        "roundrobin entre los servidores reales con comprobación de salud, una página de error local cuando no "
        "queda ninguno y un socket de estadísticas que usa la verificación.\n\n"
        "Algo que la guía no cuenta: haproxy no arranca donde la VIP no es una dirección de la máquina "
        "(\"cannot bind socket\"). El orden de arranque de la sección «Restricciones y reinicio» cubre los arranques "
        "de pacemaker, pero no "
        "todo: el recurso HAproxy se crea aquí antes de que exista ninguna restricción, así que pacemaker puede "
        "intentarlo primero en el nodo sin la VIP (un arranque fallido cuenta contra ese nodo); y un "
        "`systemctl start haproxy` a mano en standby, o comprobar la configuración arrancándolo, también falla. "
        "Por eso el asistente pone `net.ipv4.ip_nonlocal_bind = 1` en los dos directores, en un fichero de "
        "/etc/sysctl.d (se aplica en cada arranque) y lo aplica ya con `sysctl -p`: haproxy puede escuchar en la "
        "VIP dondequiera que se ejecute, y solo responde donde está la VIP.\n\n"
        "Pacemaker se conecta de forma periódica con cada recurso para ver su estado y, si ha caído, lo lanza de "
        "nuevo; superado un número de caídas lo traslada al otro nodo (fail over). El propio balanceador "
        "controla el estado de los servidores de la granja y deja de enviar peticiones a los que han caído."
    ),
)
USES = ["vip.external", "vip.internal", "networks.external", "networks.internal", "directors[].external_if",
        "directors[].internal_if", "directors[].name", "servers[].name", "servers[].ip", "cluster_name"]
ERRATA = [
    Text(en="/etc/haproxy/haproxy.cnf → /etc/haproxy/haproxy.cfg (the file haproxy reads).",
         es="/etc/haproxy/haproxy.cnf → /etc/haproxy/haproxy.cfg (el fichero que lee haproxy)."),
    Text(en="\"HProxy\" → HAProxy.", es="\"HProxy\" → HAProxy."),
]
PCS_SYNTAX = True  # written for the pcs/Pacemaker versions found (steps.profiles): the screen says which

HAPROXY_CFG = "/etc/haproxy/haproxy.cfg"
ERRORS_DIR = "/etc/haproxy/errors"
NONLOCAL_BIND_CONF = "/etc/sysctl.d/90-ha-wizard-nonlocal-bind.conf"


# Response header naming the director that served (see Profile.haproxy_director_header).
DIRECTOR_HEADER = "X-HA-Director"


def haproxy_file(answers: Answers, profile: Profile, errors_dir: str = ERRORS_DIR,
                 stats_socket: str | None = None) -> File:
    return File.of(HAPROXY_CFG, "haproxy.cfg.j2", vip=answers.vip.external, listen_port=80,
                   servers=[{"name": s.name, "ip": s.ip} for s in answers.servers], errors_dir=errors_dir,
                   stats_socket=stats_socket or profile.haproxy_socket,
                   director_header=DIRECTOR_HEADER if profile.haproxy_director_header else "")


def haproxy_config(answers: Answers, profile: Profile, errors_dir: str = ERRORS_DIR,
                   stats_socket: str | None = None) -> str:
    """The haproxy.cfg both directors get; tests render it with a temporary errors_dir and socket."""
    file = haproxy_file(answers, profile, errors_dir, stats_socket)
    return render(file.template, **file.context())


def error_file(answers: Answers) -> File:
    return File.of(f"{ERRORS_DIR}/ha-wizard-503.http", "ha-wizard-503.http.j2", mkdir=True,
                   cluster_name=answers.cluster_name)


def error_page(answers: Answers) -> str:
    return render("ha-wizard-503.http.j2", cluster_name=answers.cluster_name)


def _vip(answers: Answers, profile: Profile, name: str, ip: str, network: str, ifs: set[str]) -> Action:
    # IPaddr2's nic= applies on every node: only when both directors use the same name. Otherwise it is
    # left out and IPaddr2 picks the interface whose subnet holds the VIP.
    nic = f" nic={q(next(iter(ifs)))}" if len(ifs) == 1 else ""
    return Action(
        id=f"{ID}.{name.lower()}", kind="run", target=Target.node(answers.master.name),
        command=(f"pcs resource create {name} ocf:heartbeat:IPaddr2 ip={q(ip)}{nic}"
                 f" cidr_netmask={prefix(network)} op monitor interval=10s"),
        probe=profile.resource_show(name), idempotent=False,
        title=f"Resource {name}", title_es=f"Recurso {name}",
        why=f"Floating address {ip}: pacemaker puts it on the active director, checked every 10 s.",
        why_es=f"Dirección flotante {ip}: pacemaker la pone en el director activo y la comprueba cada 10 s.")


def plan(answers: Answers, profile: Profile) -> list[Action]:
    master = Target.node(answers.master.name)
    both = Target.of_group("directors", [d.name for d in answers.directors])
    n = answers.networks
    return [
        Action(id=f"{ID}.list", kind="check", target=master, command="pcs resource list", tags=("info",),
               title="Resource agents (to read)", title_es="Agentes de recursos (para leer)",
               why="What pacemaker can manage (for reading).", why_es="Lo que puede gestionar pacemaker (para leer)."),
        Action(id=f"{ID}.describe", kind="check", target=master, command="pcs resource describe ocf:heartbeat:IPaddr2",
               tags=("info",), title="IPaddr2's parameters (to read)", title_es="Parámetros de IPaddr2 (para leer)",
               why="The IPaddr2 agent's parameters (for reading).",
               why_es="Los parámetros del agente IPaddr2 (para leer)."),
        _vip(answers, profile, "VIP_externa", answers.vip.external, n.external,
             {d.external_if for d in answers.directors}),
        _vip(answers, profile, "VIP_interna", answers.vip.internal, n.internal,
             {d.internal_if for d in answers.directors}),
        Action(id=f"{ID}.haproxy_off", kind="run", target=both,
               command="systemctl stop haproxy && systemctl disable haproxy",
               title="haproxy off at boot", title_es="haproxy fuera del arranque",
               intent=Service("haproxy", state="stopped", enabled=False),
               # Once pacemaker runs haproxy, stopping it would only fight pacemaker: done by then.
               probe=profile.resource_show("HAproxy"),
               why="Pacemaker starts and stops haproxy from now on, not the init system.",
               why_es="A partir de ahora pacemaker arranca y para haproxy, no el sistema de arranque."),
        write(f"{ID}.nonlocal_bind", both, File.of(NONLOCAL_BIND_CONF, "nonlocal-bind.conf.j2"),
              title="Bind to a VIP not here (sysctl)", title_es="Escuchar en VIP ausente (sysctl)",
              why="Let haproxy bind the VIP where it is not (yet) an address: kept for every boot.",
              why_es="Que haproxy pueda escuchar en la VIP donde (aún) no es una dirección: para cada arranque."),
        Action(id=f"{ID}.nonlocal_bind_apply", kind="run", target=both, command=f"sysctl -p {NONLOCAL_BIND_CONF}",
               applies=(f"{ID}.nonlocal_bind",),
               title="Apply the sysctl now", title_es="Aplicar ya el sysctl",
               why="Apply it now.", why_es="Aplicarlo ya."),
        write(f"{ID}.error_page", both, error_file(answers),
              title="haproxy's error page", title_es="Página de error de haproxy",
              why="The local error page haproxy serves when no real server is up.",
              why_es="La página de error local que sirve haproxy cuando no queda ningún servidor real."),
        write(f"{ID}.haproxy_cfg", both, haproxy_file(answers, profile),
              erratum="/etc/haproxy/haproxy.cnf", title="haproxy.cfg", title_es="haproxy.cfg",
              why="Identical haproxy.cfg on both: listen on the external VIP, round-robin over the real servers.",
              why_es="haproxy.cfg idéntico en ambos: escucha en la VIP externa, roundrobin entre los servidores "
                     "reales."),
        Action(id=f"{ID}.haproxy_check", kind="check", target=both, command=f"haproxy -c -f {HAPROXY_CFG}",
               title="haproxy accepts haproxy.cfg", title_es="haproxy acepta haproxy.cfg",
               why="haproxy accepts the file.", why_es="haproxy acepta el fichero."),
        Action(id=f"{ID}.haproxy", kind="run", target=master,
               command=f"pcs resource create HAproxy {profile.haproxy_agent} op monitor interval=5s",
               probe=profile.resource_show("HAproxy"), idempotent=False,
               title="Resource HAproxy", title_es="Recurso HAproxy",
               why="HAProxy as a resource, checked every 5 s.",
               why_es="HAProxy como recurso, comprobado cada 5 s."),
    ]
