"""Section 11: the web service works through the VIP, survives failures, and its benchmarks."""

from __future__ import annotations

from assets import render
from steps._common import prefix, q, re_ip, write
from steps.model import Action, Target, Text
from steps.profiles import Profile
from wizard.answers import Answers

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


def plan(answers: Answers, profile: Profile) -> list[Action]:
    m, s = answers.master, answers.standby
    vip = answers.vip.external
    url = f"http://{vip}/{PAGE}"
    pi_url = f"http://{vip}/pi.php?n={answers.pi_intervals}"
    vb = answers.virtualbox
    port = vb.host_port
    master = Target.node(m.name)
    rule = f"http2:tcp:[]:{port}:[{vip}]:80"
    n, c = answers.bench_requests, answers.bench_concurrency
    servers = [sv.name for sv in answers.servers]
    actions = [
        Action(id=f"{ID}.curl.{m.name}", kind="check", target=master, command=f"curl -fsS {q(url)}",
               tags=("check",), why="The web service answers on the external VIP.",
               why_es="El servicio web responde en la VIP externa."),
        Action(id=f"{ID}.port_forward", kind="run", target=Target.local(),
               command=(f"{profile.hypervisor} natnetwork modify --netname {q(vb.natnetwork)}"
                        f" --port-forward-4 {q(rule)}"),
               probe=f"{profile.hypervisor} list natnetworks | grep -qF {q(rule)}", idempotent=False,
               why=f"Host port {port} forwards to the VIP's port 80.",
               why_es=f"El puerto {port} del host redirige al puerto 80 de la VIP."),
        Action(id=f"{ID}.curl_forward", kind="check", target=Target.local(),
               command=f"curl -fsS {q(f'http://localhost:{port}/{PAGE}')}", tags=("check",),
               why="The page through the host's port forward.",
               why_es="La página a través de la redirección de puertos del host."),
    ]
    if profile.is_lab:  # the lab's host sits on the external network itself
        actions.append(Action(id=f"{ID}.curl_local", kind="check", target=Target.local(),
                              command=f"curl -fsS {q(url)}", tags=("check",),
                              why="The page from this machine, straight to the VIP.",
                              why_es="La página desde esta máquina, directamente a la VIP."))
    actions += [
        # --- the guide's tests -------------------------------------------------------------
        Action(id=f"{ID}.all_up", kind="check", target=master, tags=("failover", "all-up"),
               command=f"for i in $(seq {2 * len(servers)}); do curl -fsS {q(url)}; done",
               why="All up: consecutive requests are served by different real servers.",
               why_es="Todo activo: peticiones seguidas las sirven servidores reales distintos."),
        Action(id=f"{ID}.director_down", kind="manual", target=Target.node(s.name), tags=("failover", "director-down"),
               command=f"curl -fsS {q(url)}",
               instructions=(f"Power off the active director ({m.name}: run `poweroff` on it), or unplug its heartbeat "
                             f"cable, network {vb.heartbeat_network} "
                             f"({profile.hypervisor} controlvm {m.vm} setlinkstate3 off). {s.name} takes the "
                             f"VIPs within seconds: reload the page. Power {m.name} on again (or plug the cable) "
                             f"afterwards: it takes the resources back."),
               instructions_es=(f"Apaga el director activo ({m.name}: `poweroff` en él) o desconecta su cable de "
                                f"la red {vb.heartbeat_network} "
                                f"({profile.hypervisor} controlvm {m.vm} setlinkstate3 off). {s.name} se "
                                f"queda con las VIP en segundos: recarga la página. Después vuelve a encender "
                                f"{m.name} (o conecta el cable): recupera los recursos."),
               why="A director down: the survivor serves.", why_es="Un director caído: sirve el superviviente."),
        Action(id=f"{ID}.vips_on_standby", kind="check", target=Target.node(s.name), tags=("failover", "director-down"),
               command="ip addr show",
               expect=re_ip(vip, prefix(answers.networks.external)),
               why=f"With {m.name} down, {s.name} holds the external VIP.",
               why_es=f"Con {m.name} caído, {s.name} tiene la VIP externa."),
        Action(id=f"{ID}.servers_down", kind="manual", target=master, tags=("failover", "servers-down"),
               command=f"curl -sS {q(url)}",
               instructions=("Power off one or more real servers (`poweroff` on them, or unplug their cable): the "
                             "others serve. With all of them off the director answers with its local error page "
                             "(503). Then one director and a single real server. Power them on again afterwards."),
               instructions_es=("Apaga uno o varios servidores reales (`poweroff` o desconectando su cable): sirven "
                                "los demás. Con todos apagados el director responde con su página local de error "
                                "(503). Después, un director y un solo servidor real. Vuelve a encenderlos al "
                                "terminar."),
               why="Real servers down: the survivors serve; none left: the local error page.",
               why_es="Servidores reales caídos: sirven los supervivientes; sin ninguno: la página de error local."),
        Action(id=f"{ID}.haproxy_stop", kind="run", target=master, tags=("failover", "software"),
               command="systemctl stop haproxy",
               why="Simulate a software failure: haproxy stops (pacemaker will notice).",
               why_es="Simular un fallo software: se para haproxy (pacemaker lo notará)."),
        Action(id=f"{ID}.haproxy_back", kind="wait", target=master, tags=("failover", "software"),
               command=f"curl -fsS {q(url)}", timeout=60, interval=1,
               why="About 5 s later pacemaker has started HAproxy again and the page loads.",
               why_es="Unos 5 s después pacemaker ha vuelto a lanzar HAproxy y la página carga."),
        # --- benchmarks ----------------------------------------------------------------------
        Action(id=f"{ID}.bench_install", kind="run", target=master, tags=("bench",),
               command=profile.install(profile.bench_packages), timeout=1200,
               why="apachebench (ab) on master.", why_es="apachebench (ab) en master."),
    ]
    actions.append(
        Action(id=f"{ID}.ab", kind="run", target=master, tags=("bench", "ab"),
               command=f"ab -n {n} -c {c} {q(url)}", timeout=600,
               why=f"{n} requests, {c} at a time, to {PAGE}.", why_es=f"{n} peticiones, {c} a la vez, a {PAGE}."))
    if profile.bench_repo:
        actions.append(Action(id=f"{ID}.bench_repo", kind="run", target=master, tags=("bench",),
                              command=profile.install(profile.bench_repo), timeout=1200,
                              why="The EPEL repository, which has siege.",
                              why_es="El repositorio EPEL, que tiene siege."))
    if profile.bench_extra:
        actions.append(Action(id=f"{ID}.bench_extra", kind="run", target=master, tags=("bench",),
                              command=profile.install(profile.bench_extra), timeout=1200,
                              why="siege on master.", why_es="siege en master."))
    actions += [
        Action(id=f"{ID}.siege", kind="run", target=master, tags=("bench", "siege"),
               command=f"siege -c {c} -r {n} {q(url)}", timeout=600,
               why=f"siege: {c} users × {n} repetitions = {c * n} requests (not {n}: -r counts per user).",
               why_es=f"siege: {c} usuarios × {n} repeticiones = {c * n} peticiones (no {n}: -r es por usuario)."),
        write(f"{ID}.pi_page", Target.of_group("servers", servers), f"{profile.web_root}/pi.php", pi_php(),
              tags=("bench", "pi"),
              why="The guide's pi.php on the real servers (same file; a shared web root just gets it again).",
              why_es="El pi.php de la guía en los servidores reales (el mismo fichero; si la raíz web es "
                     "compartida simplemente se reescribe)."),
        Action(id=f"{ID}.ab_pi", kind="run", target=master, tags=("bench", "ab", "pi"),
               command=f"ab -n {n} -c {c} -r {q(pi_url)}", timeout=1200, erratum="unquoted ? in the pi.php URL",
               why="A heavier page: pi by numerical integration on the real servers.",
               why_es="Una página más pesada: pi por integración numérica en los servidores reales."),
    ]
    return actions

