"""The app's and plain mode's own strings, in Spanish and English.

Section titles, explanations, whys and instructions come from the steps (steps.model.Text and the
`*_es` fields); this file holds only the user interface's words. Light on purpose: no imports beyond
the standard library, so `ha-wizard --plain` and the app start fast.
"""

from __future__ import annotations

import os
import string
from collections.abc import Iterable
from dataclasses import dataclass

LANGS = ("es", "en")

# key -> (English, Spanish). Placeholders use str.format names.
STRINGS: dict[str, tuple[str, str]] = {
    # -- common -------------------------------------------------------------------------------
    "app.title": ("ha-wizard — HAProxy active/passive with Corosync + Pacemaker",
                  "ha-wizard — HAProxy activo/pasivo con Corosync + Pacemaker"),
    "lang.switched": ("Language: English", "Idioma: español"),
    "theme.switched": ("Theme: {theme}", "Tema: {theme}"),
    "btn.back": ("Back", "Atrás"),
    "btn.cancel": ("Cancel", "Cancelar"),
    "btn.close": ("Close", "Cerrar"),
    "btn.ok": ("OK", "Aceptar"),
    "btn.yes": ("Yes", "Sí"),
    "btn.no": ("No", "No"),
    "bind.quit": ("Quit", "Salir"),
    "bind.help": ("Help", "Ayuda"),
    "bind.lang": ("ES/EN", "ES/EN"),
    "bind.theme": ("Theme", "Tema"),
    "bind.export": ("Export", "Exportar"),
    "bind.back": ("Back", "Atrás"),
    "bind.next": ("Next", "Siguiente"),
    "bind.sidebar": ("Sections", "Secciones"),
    "bind.inventory": ("Inventory", "Inventario"),
    "bind.run_next": ("Run next", "Ejecutar"),
    "bind.run_section": ("Run section", "Sección entera"),
    "bind.next_section": ("Next section", "Sig. sección"),
    "bind.palette": ("Palette", "Paleta"),
    "bind.focus_next": ("Next field", "Campo siguiente"),
    "bind.focus_previous": ("Previous field", "Campo anterior"),
    "bind.copy": ("Copy", "Copiar"),
    "bind.skip": ("Skip", "Omitir"),
    "bind.edit": ("Edit cmd", "Editar orden"),
    "bind.retry": ("Retry", "Reintentar"),
    "bind.cancel_run": ("Stop", "Detener"),
    "status.pending": ("pending", "pendiente"),
    "status.running": ("running", "en curso"),
    "status.ok": ("ok", "hecha"),
    "status.failed": ("failed", "fallida"),
    "status.skipped": ("skipped", "omitida"),
    "status.edited": ("edited", "editada"),
    "status.interrupted": ("interrupted", "interrumpida"),
    "status.stopped": ("stopped", "detenida"),
    "sstatus.new": ("new", "nueva"),
    "sstatus.in progress": ("in progress", "en curso"),
    "sstatus.failed": ("failed", "fallida"),
    "sstatus.interrupted": ("interrupted", "interrumpida"),
    "sstatus.done": ("done", "terminada"),
    "sstatus.unreadable": ("unreadable", "ilegible"),
    "quit.waiting": ("Stopping the running action; the checkpoint stays consistent…",
                     "Deteniendo la acción en curso; el punto de control queda coherente…"),
    # -- `ha-wizard check` and the app's "Check my cluster" ------------------------------------------
    "check.pass": ("pass", "correcto"),
    "check.fail": ("FAIL", "FALLA"),
    "check.not_checked": ("not checked", "sin comprobar"),
    "check.col.check": ("Check", "Comprobación"),
    "check.col.result": ("Result", "Resultado"),
    "check.col.details": ("Details", "Detalles"),
    "check.expected": ("expected:", "se espera:"),
    "check.found": ("found:", "encontrado:"),
    "check.fix": ("fix:", "arreglo:"),
    "check.fix_on": ("on {node}", "en {node}"),
    "check.fix_local": ("on this computer", "en este ordenador"),
    "check.more_lines": ("… {n} more lines: `ha-wizard plan --section {section}` shows {action} whole",
                         "… {n} líneas más: `ha-wizard plan --section {section}` muestra {action} entera"),
    # -- the Ansible export (wizard/exports/ansible.py) -------------------------------------------------------------
    "ansible.inventory_header": (
        "ha-wizard: how Ansible reaches the guide's nodes (profile {profile}). The real servers live on the "
        "internal network: they are reached through a director (ProxyCommand, the next director when the first "
        "does not answer). Host keys are checked as your ssh checks them: nothing is accepted blindly.",
        "ha-wizard: cómo llega Ansible a los nodos del guion (perfil {profile}). Los servidores reales están en la "
        "red interna: se llega a ellos a través de un director (ProxyCommand; el siguiente director si el primero "
        "no responde). Las claves de los hosts se comprueban como las comprueba tu ssh: nada se acepta a ciegas."),
    "ansible.site_header": (
        "ha-wizard: the guide as an Ansible project (profile {profile}: {description}).\n"
        "One play per section, each importing its role (roles/<section>); tags are the section ids (--tags, "
        "--skip-tags).\n"
        "Run: ansible-playbook site.yml -e hacluster_password=...  (or -e @vault.yml with ansible-vault); the "
        "password is never written here. README.md says more.",
        "ha-wizard: el guion como proyecto de Ansible (perfil {profile}: {description}).\n"
        "Una jugada por sección, cada una importa su rol (roles/<sección>); las etiquetas son los ids de sección "
        "(--tags, --skip-tags).\n"
        "Ejecución: ansible-playbook site.yml -e hacluster_password=...  (o -e @vault.yml con ansible-vault); la "
        "contraseña nunca se escribe aquí. README.md cuenta más."),
    "ansible.role_header": ("ha-wizard: section {number} of the guide, {title} (role {role}). Generated from the plan: "
                            "edit the variables (group_vars, host_vars, defaults), not these tasks.",
                            "ha-wizard: sección {number} del guion, {title} (rol {role}). Generado a partir del plan: "
                            "edita las variables (group_vars, host_vars, defaults), no estas tareas."),
    "ansible.group_vars_header": (
        "ha-wizard: the values the roles write into the nodes' files, for every node (edit them here; run the "
        "playbook again to apply). vboxmanage: the VBoxManage the host steps run.",
        "ha-wizard: los valores que los roles escriben en los ficheros de los nodos, para todos los nodos (edítalos "
        "aquí; vuelve a ejecutar el playbook para aplicarlos). vboxmanage: el VBoxManage de los pasos del host."),
    "ansible.host_vars_header": ("ha-wizard: the values the roles write into {node}'s own files (edit them here).",
                                 "ha-wizard: los valores que los roles escriben en los ficheros propios de {node} "
                                 "(edítalos aquí)."),
    "ansible.apply": ("Apply now", "Aplicar ya"),
    "ansible.folder": ("Folder first", "Antes la carpeta"),
    "ansible.probe": ("Already done? (read-only)", "¿Ya hecho? (solo lectura)"),
    "ansible.reconnect": ("Reach the node again", "Volver a llegar al nodo"),
    "ansible.job_result": ("The result of the change", "El resultado del cambio"),
    "ansible.secrets_play": ("Secrets given on the command line", "Secretos dados en la línea de órdenes"),
    "ansible.secrets_task": ("The hacluster password is given (never stored in these files)",
                             "Se ha dado la contraseña de hacluster (nunca se guarda en estos ficheros)"),
    "ansible.secrets_missing": (
        "Give it with -e {var}=... (or -e @vault.yml, an ansible-vault file defining {var})",
        "Dala con -e {var}=... (o -e @vault.yml, un fichero de ansible-vault que defina {var})"),
    "ansible.no_output": ("--format ansible needs -o DIR (the folder for inventory.ini and site.yml)",
                          "--format ansible necesita -o CARPETA (la carpeta para inventory.ini y site.yml)"),
    "ansible.no_such_file": ("no such file", "no existe el fichero"),
    "ansible.not_a_folder": ("exists and is not a folder", "existe y no es una carpeta"),
    "ansible.how_to_run": ("Run it: cd {folder} && ansible-playbook site.yml -e hacluster_password=...  (README.md "
                           "there says more)",
                           "Ejecútalo: cd {folder} && ansible-playbook site.yml -e hacluster_password=...  "
                           "(su README.md cuenta más)"),
    "check.need_answers": ("--answers FILE is required (the answers that describe the cluster to check)",
                           "hace falta --answers FICHERO (las respuestas que describen el clúster a comprobar)"),
    "check.no_file": ("{path}: no such file", "{path}: no existe el fichero"),
    "check.bad_section": ("--section {section}: no such section of the checks ({known})",
                          "--section {section}: no existe esa sección de las comprobaciones ({known})"),
    "check.bad_timeout": ("--connect-timeout: must be more than 0 seconds",
                          "--connect-timeout: debe ser más de 0 segundos"),
    "ansible.unsafe_path": ("{path}: a path for the Ansible inventory cannot hold spaces or quotes (copy the file "
                            "to a plain path)",
                            "{path}: una ruta para el inventario de Ansible no puede llevar espacios ni comillas "
                            "(copia el fichero a una ruta sencilla)"),
    "checkscr.heading": ("Check my cluster", "Comprobar mi clúster"),
    "checkscr.intro": (
        "Grades the cluster described by {source} against the guide, section by section, with commands that "
        "only read (nothing on the nodes changes). For each failure: what was expected, what was found and the "
        "command that fixes it. The same as `ha-wizard check`.",
        "Evalúa el clúster descrito por {source} frente al guion, sección a sección, con órdenes que solo leen "
        "(no cambia nada en los nodos). Para cada fallo: lo esperado, lo encontrado y la orden que lo arregla. "
        "Lo mismo que `ha-wizard check`."),
    "checkscr.source_session": ("the answers of session {name}", "las respuestas de la sesión {name}"),
    "checkscr.source_file": ("the answers file {path}", "el fichero de respuestas {path}"),
    "checkscr.source_defaults": ("the guide's values (load your answers file on the start screen to check yours)",
                                 "los valores del guion (carga tu fichero de respuestas en la pantalla de inicio "
                                 "para comprobar los tuyos)"),
    "checkscr.running": ("Checking… {done} of {total} probes done", "Comprobando… {done} de {total} sondas hechas"),
    "checkscr.again": ("Check again", "Comprobar de nuevo"),
    "checkscr.bad_answers": ("The answers have problems: {problems}", "Las respuestas tienen problemas: {problems}"),
    "bind.recheck": ("Check again", "Comprobar de nuevo"),
    "start.check": ("Check my cluster", "Comprobar mi clúster"),
    "help.check": (
        "Each table is one part of the guide. pass: as the guide leaves it; FAIL: what was expected, what was found "
        "and the command that fixes it (run it on the node named, or on this computer for VirtualBox steps); not "
        "checked: a node or the cluster could not be asked (see the failures above it). Ctrl+R checks again, Esc "
        "goes back. Long fixes (a whole file) show their first line: `ha-wizard plan --section …` lists them "
        "whole, and `ha-wizard check --format json` carries them all.",
        "Cada tabla es una parte del guion. correcto: como lo deja el guion; FALLA: lo esperado, lo encontrado y la "
        "orden que lo arregla (ejecútala en el nodo indicado, o en este ordenador para los pasos de VirtualBox); "
        "sin comprobar: no se pudo preguntar a un nodo o al clúster (mira los fallos anteriores). Ctrl+R comprueba "
        "de nuevo, Esc vuelve. Los arreglos largos (un fichero entero) muestran su primera línea: "
        "`ha-wizard plan --section …` los lista enteros y `ha-wizard check --format json` los lleva todos."),
    "check.summary": ("{passed} of {total} checks passed, {failed} failed, {unchecked} not checked",
                      "{passed} de {total} comprobaciones correctas, {failed} fallan, {unchecked} sin comprobar"),
    # -- start screen -----------------------------------------------------------------------------
    "start.heading": ("Build a highly available load balancer, step by step",
                      "Construye un balanceador de carga de alta disponibilidad, paso a paso"),
    "start.intro": (
        "Each section of the lab guide is a screen: why it is done, the values it needs, the exact "
        "commands before they run, their output live, and a checkpoint after every command.",
        "Cada sección del guion es una pantalla: por qué se hace, los valores que necesita, las órdenes "
        "exactas antes de ejecutarse, su salida en directo y un punto de control tras cada orden."),
    "start.new": ("New session", "Nueva sesión"),
    "start.name": ("Session name", "Nombre de la sesión"),
    "start.resume": ("Resume", "Reanudar"),
    "start.sessions": ("Sessions", "Sesiones"),
    "start.no_sessions": ("No sessions yet.", "Aún no hay sesiones."),
    "start.load": ("Load answers", "Cargar respuestas"),
    "start.answers_file": ("Answers file (TOML)", "Fichero de respuestas (TOML)"),
    "start.loaded": ("Answers loaded from {path}", "Respuestas cargadas de {path}"),
    "start.defaults": ("Starting from the guide's values", "Partiendo de los valores del guion"),
    "col.name": ("Name", "Nombre"),
    "col.profile": ("Profile", "Perfil"),
    "col.last": ("Last step", "Último paso"),
    "col.progress": ("Done", "Hecho"),
    "col.status": ("Status", "Estado"),
    "col.updated": ("Updated", "Actualizada"),
    "start.pick_session": ("Select a session in the list first.", "Elige primero una sesión de la lista."),
    # -- inventory --------------------------------------------------------------------------------
    "start.create": ("Create", "Crear"),
    "start.delete": ("Delete session", "Borrar sesión"),
    "start.delete_btn": ("Delete", "Borrar"),
    "start.delete_q": ("Delete session {name} for good? Its checkpoint and its record go; the machines are not "
                       "touched.",
                       "¿Borrar la sesión {name} para siempre? Se pierden su punto de control y su registro; las "
                       "máquinas no se tocan."),
    "start.deleted": ("Session {name} deleted.", "Sesión {name} borrada."),
    "sessions.delete_q": ("Delete session {name} for good? Its checkpoint and its record go; the machines are "
                          "not touched. [y/N]",
                          "¿Borrar la sesión {name} para siempre? Se pierden su punto de control y su registro; "
                          "las máquinas no se tocan. [s/N]"),
    "sessions.delete_kept": ("Session {name} kept.", "La sesión {name} se conserva."),
    "sessions.delete_needs_yes": ("deleting {name} needs a confirmation: run it on a terminal, or add --yes",
                                  "borrar {name} necesita confirmación: ejecútalo en un terminal o añade --yes"),
    "inv.title": ("Inventory: the lab's topology", "Inventario: la topología del laboratorio"),
    "inv.intro": ("The guide's values, to edit for your lab. Errors show next to the field as you type.",
                  "Los valores del guion, para adaptar a tu laboratorio. Los errores aparecen junto al "
                  "campo mientras escribes."),
    "inv.general": ("General", "General"),
    "inv.networks": ("Networks", "Redes"),
    "inv.vip": ("Floating IPs (VIPs)", "IPs flotantes (VIP)"),
    "inv.director": ("Director {n}: {name}", "Director {n}: {name}"),
    "inv.server": ("Real server {n}: {name}", "Servidor real {n}: {name}"),
    "inv.virtualbox": ("VirtualBox", "VirtualBox"),
    "inv.directors": ("Directors", "Directores"),
    "inv.servers": ("Real servers", "Servidores reales"),
    "inv.secret": ("hacluster password", "Contraseña de hacluster"),
    "inv.password": ("Password (kept in memory only)", "Contraseña (solo en memoria)"),
    "inv.password2": ("Repeat it", "Repítela"),
    "inv.pw_empty": ("the hacluster password is needed (the pcs section sets it on both directors)",
                     "hace falta la contraseña de hacluster (la sección de pcs la pone en ambos directores)"),
    "inv.pw_mismatch": ("the two passwords differ", "las dos contraseñas no coinciden"),
    "inv.add_server": ("+ server", "+ servidor"),
    "inv.del_server": ("− last server", "− último servidor"),
    "inv.check": ("Check connections", "Comprobar conexiones"),
    "inv.next": ("Start the sections", "Empezar las secciones"),
    "inv.save": ("Save", "Guardar"),
    "inv.errors": ("{n} problems to fix before going on", "{n} problemas que corregir antes de seguir"),
    "inv.errors.one": ("{n} problem to fix before going on", "{n} problema que corregir antes de seguir"),
    "inv.ok": ("All values are valid", "Todos los valores son válidos"),
    "inv.cannot": ("Fix the marked fields first.", "Corrige antes los campos marcados."),
    "inv.not_int": ("{value!r} is not a whole number", "{value!r} no es un número entero"),
    "inv.conn_title": ("Connection check", "Comprobación de conexiones"),
    "inv.conn_running": ("Reaching every node…", "Contactando con cada nodo…"),
    "inv.conn_none": ("Not checked yet (optional: it also detects the profile).",
                      "Aún sin comprobar (opcional: también detecta el perfil)."),
    "inv.detected": ("Detected profile: {profile}", "Perfil detectado: {profile}"),
    "inv.use_detected": ("Use it", "Usarlo"),
    "inv.conn_unavailable": ("The connection check needs the engine (wizard.run.engine), not available: {error}",
                             "La comprobación necesita el motor (wizard.run.engine), no disponible: {error}"),
    "col.node": ("Node", "Nodo"),
    "col.address": ("Address", "Dirección"),
    "col.fingerprint": ("Host key", "Clave del host"),
    "col.system": ("System", "Sistema"),
    "col.result": ("Result", "Resultado"),
    "field.profile": ("Profile", "Perfil"),
    "field.cluster_name": ("Cluster name", "Nombre del clúster"),
    "field.snapshot_name": ("Snapshot name", "Nombre de la instantánea"),
    "field.domain": ("Domain", "Dominio"),
    "field.ssh_user": ("SSH user", "Usuario SSH"),
    "field.ssh_port": ("SSH port", "Puerto SSH"),
    "field.bench_requests": ("Benchmark requests", "Peticiones del benchmark"),
    "field.bench_concurrency": ("Benchmark concurrency", "Concurrencia del benchmark"),
    "field.pi_intervals": ("pi.php intervals", "Intervalos de pi.php"),
    "field.external": ("External", "Externa"),
    "field.internal": ("Internal", "Interna"),
    "field.heartbeat": ("Heartbeat", "Latido"),
    "field.external_gateway": ("External gateway", "Puerta de enlace externa"),
    "field.dns": ("DNS", "DNS"),
    "field.name": ("Host name", "Nombre de host"),
    "field.aliases": ("Aliases (comma)", "Alias (comas)"),
    "field.ring_name": ("Cluster node name", "Nombre en el clúster"),
    "field.vm": ("VirtualBox VM", "Máquina VirtualBox"),
    "field.external_if": ("External NIC", "NIC externa"),
    "field.external_ip": ("External IP", "IP externa"),
    "field.internal_if": ("Internal NIC", "NIC interna"),
    "field.internal_ip": ("Internal IP", "IP interna"),
    "field.heartbeat_if": ("Heartbeat NIC", "NIC de latido"),
    "field.heartbeat_ip": ("Heartbeat IP", "IP de latido"),
    "field.heartbeat_mac": ("Heartbeat MAC", "MAC de latido"),
    "field.ssh_host": ("SSH at (127.0.0.1: a port forward; empty: own IP)",
                       "SSH por (127.0.0.1: reenvío de puerto; vacío: su IP)"),
    "field.ip": ("IP", "IP"),
    "field.ifname": ("NIC", "NIC"),
    "field.natnetwork": ("NAT network", "Red NAT"),
    "field.heartbeat_network": ("Heartbeat network", "Red de latido"),
    "field.internal_network": ("Internal network", "Red interna"),
    "field.nic_type": ("Heartbeat NIC type", "Tipo de NIC de latido"),
    "field.host_port": ("Host port forward", "Puerto reenviado del host"),
    "field.standby_macs": ("Standby MACs 1-3 (comma)", "MACs del standby 1-3 (comas)"),
    "field.vboxmanage": ("VBoxManage program (empty: find it)", "Programa VBoxManage (vacío: buscarlo)"),
    # -- validation (wizard/base/validation.py); {other} is another field as the inventory names it ------
    "val.net_form": ("{value!r} is not a network in CIDR form like 10.0.100.0/24",
                     "{value!r} no es una red en forma CIDR como 10.0.100.0/24"),
    "val.net_host_bits": ("{value!r} is not a network in CIDR form: it has host bits set (did you mean {net}?)",
                          "{value!r} no es una red en forma CIDR: tiene bits de host (¿querías decir {net}?)"),
    "val.net_small": ("{value} must be an IPv4 network with room for hosts (prefix /30 or shorter)",
                      "{value} debe ser una red IPv4 con sitio para hosts (prefijo /30 o más corto)"),
    "val.not_ipv4": ("{value!r} is not an IPv4 address", "{value!r} no es una dirección IPv4"),
    "val.outside": ("{value} is not inside {other} ({net})", "{value} no está dentro de {other} ({net})"),
    "val.net_or_broadcast": ("{value} is the network or broadcast address of {net}",
                             "{value} es la dirección de red o de difusión de {net}"),
    "val.if_twice": ("{value} is already {other}", "{value} ya es {other}"),
    "val.hostname": ("{value!r} is not a valid host name (letters, digits and '-', 1-63 characters, not starting "
                     "or ending with '-')",
                     "{value!r} no es un nombre de host válido (letras, cifras y '-', de 1 a 63 caracteres, sin "
                     "empezar ni acabar en '-')"),
    "val.mac": ("{value!r} is not a MAC address (like 08:00:27:01:01:C1 or 0800270101C1)",
                "{value!r} no es una dirección MAC (como 08:00:27:01:01:C1 o 0800270101C1)"),
    "val.mac_multicast": ("{value} is a multicast address; a NIC needs a unicast MAC (even first byte)",
                          "{value} es una dirección multicast; una tarjeta necesita una MAC unicast (primer byte "
                          "par)"),
    "val.port": ("{value} is not a TCP port (1-65535)", "{value} no es un puerto TCP (1-65535)"),
    "val.profile": ("{value!r} is not a profile (choose one of {choices})",
                    "{value!r} no es un perfil (elige uno de {choices})"),
    "val.cluster_name": ("{value!r} is not a valid cluster name (letters, digits, '_', '-', '.', at most 32 "
                         "characters)",
                         "{value!r} no es un nombre de clúster válido (letras, cifras, '_', '-', '.', como mucho 32 "
                         "caracteres)"),
    "val.domain": ("{value!r} is not a valid DNS domain", "{value!r} no es un dominio DNS válido"),
    "val.user": ("{value!r} is not a valid user name", "{value!r} no es un nombre de usuario válido"),
    "val.at_least_1": ("{value} must be at least 1", "{value} debe ser al menos 1"),
    "val.concurrency": ("{value} concurrent requests is more than the {total} requests in total ({other})",
                        "{value} peticiones simultáneas son más que las {total} peticiones en total ({other})"),
    "val.overlap": ("{value} overlaps {other} ({net})", "{value} se solapa con {other} ({net})"),
    "val.two_directors": ("exactly two directors are needed (active and passive), found {n}",
                          "hacen falta exactamente dos directores (activo y pasivo); hay {n}"),
    "val.one_server": ("at least one real server is needed", "hace falta al menos un servidor real"),
    "val.vip_taken": ("{value} is already the real address of {other}; a floating IP must be free",
                      "{value} ya es la dirección real de {other}; una IP flotante debe estar libre"),
    "val.addr_taken": ("{value} is already used by {other}", "{value} ya la usa {other}"),
    "val.name_taken": ("{value!r} is already used by {other}", "{value!r} ya lo usa {other}"),
    "val.vm_taken": ("VM name {value!r} is already used by {other}",
                     "el nombre de máquina {value!r} ya lo usa {other}"),
    "val.nic_type": ("{value!r} is not a VirtualBox NIC type ({choices})",
                     "{value!r} no es un tipo de tarjeta de VirtualBox ({choices})"),
    "val.three_macs": ("three MACs are needed (the standby clone's NICs 1-3), found {n}",
                       "hacen falta tres MAC (las tarjetas 1-3 del clon standby); hay {n}"),
    "val.mac3": ("{value} differs from {other} ({hb}); NIC 3 is the heartbeat NIC",
                 "{value} no coincide con {other} ({hb}); la tarjeta 3 es la de latido"),
    "val.mac_taken": ("MAC {value} is already used by {other}", "la MAC {value} ya la usa {other}"),
    # -- the engine (wizard/run/engine.py): notes, errors and progress lines stored with each action ------
    "eng.not_in_answers": ("node {node!r} is not in the answers", "el nodo {node!r} no está en las respuestas"),
    "eng.id_twice": ("action id {id!r} appears twice in the plan",
                     "el id de acción {id!r} aparece dos veces en el plan"),
    "eng.no_action": ("no action {id!r} in the plan", "no hay ninguna acción {id!r} en el plan"),
    "eng.no_section": ("no section {id!r} (sections: {ids})", "no hay ninguna sección {id!r} (secciones: {ids})"),
    "eng.via_directors": ("{node} ({address}): not reachable through any director: {errors}",
                          "{node} ({address}): inalcanzable a través de todos los directores: {errors}"),
    "eng.no_director": ("no director reachable to jump to the real servers: {errors}",
                        "ningún director alcanzable para saltar a los servidores reales: {errors}"),
    "eng.not_again": ("{node}: not reachable again at {address} after {n} attempts ({error})",
                      "{node}: sigue sin responder en {address} tras {n} intentos ({error})"),
    "eng.skipped": ("skipped by the user", "omitida por el usuario"),
    "eng.already_running": ("{id} is already running", "{id} ya se está ejecutando"),
    "eng.interrupted_probe": ("interrupted earlier: the probe decides",
                              "interrumpida antes: decide la comprobación previa"),
    "eng.interrupted_unsafe": (
        "interrupted while it ran; it is not idempotent and has no probe: check by hand whether it took effect, "
        "then skip it or run it again (--yes)",
        "se interrumpió mientras se ejecutaba; no es idempotente y no tiene comprobación previa: mira a mano si "
        "surtió efecto y después omítela o ejecútala otra vez (--yes)"),
    "eng.interrupted_journal": ("the wizard stopped while this ran; the next entry shows what the probe found",
                                "el asistente se detuvo mientras esto se ejecutaba; la entrada siguiente muestra "
                                "lo que encontró la comprobación previa"),
    "eng.already_done": ("already done", "ya estaba hecho"),
    "eng.already_done_on": ("already done on {nodes}", "ya estaba hecho en {nodes}"),
    "eng.node_error": ("{node}: {error}", "{node}: {error}"),
    "eng.secret_missing": ("secret {name} not given (set {var})", "falta el secreto {name} (define {var})"),
    "eng.stdin_unknown": ("the stdin template of {id} names an unknown secret {name}",
                          "la plantilla de stdin de {id} nombra un secreto desconocido {name}"),
    "eng.internal": ("internal error: {error}", "error interno: {error}"),
    "eng.stale_wait": ("waiting for the interrupted run (process group {pid}) to end",
                       "esperando a que termine la ejecución interrumpida (grupo de procesos {pid})"),
    "eng.stale_running": ("the interrupted run (process group {pid}) is still running",
                          "la ejecución interrumpida (grupo de procesos {pid}) sigue en marcha"),
    "eng.probe_done": ("already done: its check, which changes nothing, says so",
                       "ya estaba hecha: lo dice su comprobación previa, que no cambia nada"),
    "eng.no_stdin_disrupt": ("a network-changing action cannot take secrets on stdin",
                             "una acción que cambia la red no puede recibir secretos por stdin"),
    "eng.exit_status": ("exit status {code}", "código de salida {code}"),
    "eng.not_seen": ("the output does not show it: {what}", "la salida no lo muestra: {what}"),
    "eng.not_yet": ("not yet: {what} ({why}); again in {interval} s",
                    "aún no: {what} ({why}); otra vez dentro de {interval} s"),
    "eng.waiting_for": ("waiting for: {what} (checked with `{command}` every {interval} s, at most {timeout} s)",
                        "esperando a: {what} (se comprueba con `{command}` cada {interval} s, como mucho {timeout} s)"),
    "eng.not_shown": ("not in the output yet", "aún no aparece en la salida"),
    "eng.unreachable": ("not reachable: {error}", "inalcanzable: {error}"),
    "eng.after_attempts": ("after {n} attempts", "tras {n} intentos"),
    "eng.not_ready": ("still not ready after {seconds} s: {what} ({why})",
                      "sigue sin estar listo tras {seconds} s: {what} ({why})"),
    "eng.never_ran": ("it never ran", "no llegó a ejecutarse"),
    "eng.by_hand": ("by hand: {line}", "a mano: {line}"),
    "eng.confirmed_user": ("confirmed by the user", "confirmado por el usuario"),
    "eng.confirmed_yes": ("confirmed with --yes", "confirmado con --yes"),
    "eng.manual_needed": ("manual step: do it by hand, then run again with --yes",
                          "paso manual: hazlo a mano y vuelve a ejecutar con --yes"),
    "eng.dropped_starting": ("the connection dropped while starting it ({error}); checking that it started",
                             "la conexión se cortó al arrancarla ({error}); compruebo que arrancó"),
    "eng.detached": ("started detached (the connection may drop); will reconnect at {address}",
                     "arrancada en segundo plano (la conexión puede cortarse); reconectaré en {address}"),
    "eng.not_started": ("the command did not start (the connection dropped first); nothing ran",
                        "la orden no arrancó (la conexión se cortó antes); no se ejecutó nada"),
    "eng.lost_again": ("connection lost again: {error}", "conexión perdida otra vez: {error}"),
    "eng.timed_out": ("timed out after {seconds} s", "se agotó el tiempo tras {seconds} s"),
    "eng.stopped": ("stopped by the user", "detenida por el usuario"),
    "eng.reconnecting": ("{node}: reconnecting to {address} (attempt {attempt})",
                         "{node}: reconectando con {address} (intento {attempt})"),
    # -- a node that may have moved (wizard/run/moves.py, wizard/run/connections.py find) ------------------
    "move.way_forward": ("{address} (the port forward to {guest})", "{address} (el reenvío de puerto a {guest})"),
    "move.way_jump": ("{address} (through {jump})", "{address} (a través de {jump})"),
    "move.looking": ("the last run of this step did not finish: looking for {node} where it may be now: {ways} "
                     "(up to {seconds} s)",
                     "la última ejecución de este paso no terminó: busco {node} donde puede estar ahora: {ways} "
                     "(hasta {seconds} s)"),
    "move.found": ("{node} found at {way}: the change had already moved it",
                   "{node} encontrado en {way}: el cambio ya lo había movido"),
    "move.still_running": ("{node}: the change the interrupted run started is still running: waiting for it "
                           "(nothing is started again)",
                           "{node}: el cambio que arrancó la ejecución interrumpida sigue en marcha: lo espero "
                           "(no se arranca nada otra vez)"),
    "move.died": ("{node}: the change the interrupted run started stopped without an exit status",
                  "{node}: el cambio que arrancó la ejecución interrumpida terminó sin estado de salida"),
    "move.finished_away": ("it finished while the wizard was not running (exit {code}): not run again",
                           "terminó mientras el asistente no estaba en marcha (salida {code}): no se repite"),
    "move.other_key": ("another machine answers at {address}: its host key ({key}) is not one {node} was known by",
                       "otra máquina responde en {address}: su clave de host ({key}) no es ninguna de las de {node}"),
    "move.not_it": ("the machine at {address} has {node}'s host key but is not {node} ({check} says no): "
                    "{other}, probably",
                    "la máquina en {address} tiene la clave de host de {node} pero no es {node} ({check} dice que "
                    "no): {other}, probablemente"),
    "move.no_answer": ("no answer", "sin respuesta"),
    "move.lost_two": (
        "{node} answers neither where {action} moves it, {new}, nor where it was before, {old}; tried {n} times "
        "over {seconds} s ({tried}). Look at the VM \"{vm}\" in VirtualBox: is it running? Its console shows whether "
        "its network came up (`ip addr`). Then run the step again: it looks in both places again.",
        "{node} no responde ni donde lo lleva {action}, {new}, ni donde estaba antes, {old}; probado {n} veces "
        "durante {seconds} s ({tried}). Mira la VM \"{vm}\" en VirtualBox: ¿está en marcha? Su consola muestra si "
        "su red arrancó (`ip addr`). Después repite el paso: vuelve a buscar en los dos sitios."),
    "move.lost_one": (
        "{node} does not answer at {new} while {action} changes its network; tried {n} times over {seconds} s "
        "({tried}). Look at the VM \"{vm}\" in VirtualBox: is it running? Its console shows whether its network "
        "came up (`ip addr`). Then run the step again.",
        "{node} no responde en {new} mientras {action} cambia su red; probado {n} veces durante {seconds} s "
        "({tried}). Mira la VM \"{vm}\" en VirtualBox: ¿está en marcha? Su consola muestra si su red arrancó "
        "(`ip addr`). Después repite el paso."),
    # -- SSH (wizard/run/ssh.py) -------------------------------------------------------------------------
    "ssh.jump_failed": ("{node}: the jump host could not open a connection to {host}:{port} ({error})",
                        "{node}: el host de salto no pudo abrir una conexión con {host}:{port} ({error})"),
    "ssh.sudo_password": ("{node}: {user} needs a sudo password: set HA_WIZARD_SSH_PASSWORD",
                          "{node}: {user} necesita contraseña para sudo: define HA_WIZARD_SSH_PASSWORD"),
    "ssh.lost": ("{node}: connection lost", "{node}: conexión perdida"),
    "ssh.channel_refused": ("channel refused by the node: {text} (code {code})",
                            "canal rechazado por el nodo: {text} (código {code})"),
    "ssh.cannot_start": ("{node}: cannot start the command ({error})",
                         "{node}: no se puede arrancar la orden ({error})"),
    "ssh.gate_full": ("all {n} channels of the connection stayed busy", "los {n} canales de la conexión siguieron "
                      "ocupados"),
    "ssh.refused_tries": ("{error}; tried {n} times", "{error}; probado {n} veces"),
    "ssh.lost_during": ("{node}: connection lost during the command", "{node}: conexión perdida durante la orden"),
    "ssh.lost_before_status": ("{node}: connection lost before the exit status",
                               "{node}: conexión perdida antes del código de salida"),
    "ssh.lost_error": ("{node}: connection lost ({error})", "{node}: conexión perdida ({error})"),
    "ssh.detached_failed": ("{node}: could not start the detached command (exit {code})",
                            "{node}: no se pudo arrancar la orden en segundo plano (salida {code})"),
    "ssh.host_key_changed": (
        "{node} ({address}): HOST KEY CHANGED — refused. Known key {known}, offered {offered}. If the host was "
        "really reinstalled (a VM restored or cloned), forget the old key where it is kept, then connect again: "
        "`ssh-keygen -R {name} -f {file}` (the wizard's known_hosts) and `ssh-keygen -R {name}` (yours).",
        "{node} ({address}): LA CLAVE DEL HOST HA CAMBIADO — rechazada. Clave conocida {known}, ofrecida "
        "{offered}. Si el host se reinstaló de verdad (una VM restaurada o clonada), olvida la clave antigua donde "
        "está guardada y conecta otra vez: `ssh-keygen -R {name} -f {file}` (el known_hosts del asistente) y "
        "`ssh-keygen -R {name}` (el tuyo)."),
    "hostkey.pin_mismatch": ("{node} ({address}): host key {key} does not match the pinned fingerprint {pin} — "
                             "refused.",
                             "{node} ({address}): la clave de host {key} no coincide con la huella fijada {pin} — "
                             "rechazada."),
    "hostkey.unknown_refused": (
        "{node} ({address}): unknown host key {key} — refused. Check it on the host (ssh-keygen -lf "
        "/etc/ssh/ssh_host_*_key.pub), then trust it: --pin {node}={fp} (or --trust-new-hosts).",
        "{node} ({address}): clave de host desconocida {key} — rechazada. Compruébala en el host (ssh-keygen -lf "
        "/etc/ssh/ssh_host_*_key.pub) y después confía en ella: --pin {node}={fp} (o --trust-new-hosts)."),
    # -- command line (wizard/cli/main.py, wizard/cli/run.py) ------------------------------------------------
    "cli.answers_problems": ("the answers have problems:", "las respuestas tienen problemas:"),
    "cli.answers_problems_in": ("the answers in {path} have problems:", "las respuestas de {path} tienen problemas:"),
    "cli.unknown_section": ("--section: unknown section {section!r} (one of {ids})",
                            "--section: sección desconocida {section!r} (una de {ids})"),
    "cli.output_only_ansible": ("-o/--output: only with --format ansible (the listing goes to stdout)",
                                "-o/--output: solo con --format ansible (el listado va a la salida estándar)"),
    "cli.exists_force": ("{path} exists; use --force to overwrite it",
                         "{path} ya existe; usa --force para sobrescribirlo"),
    "cli.os_error": ("{path}: {error}", "{path}: {error}"),
    "cli.wrote_answers": ("wrote the guide's default answers to {path}",
                          "escritas las respuestas por defecto del guion en {path}"),
    "cli.answers_ok": ("{path}: ok", "{path}: correcto"),
    "cli.interrupted": ("interrupted", "interrumpido"),
    "run.resume_no_answers": ("--resume takes the answers from the session: drop --answers",
                              "--resume toma las respuestas de la sesión: quita --answers"),
    "run.profile_mismatch": ("--profile {profile}: session {name} uses {uses}",
                             "--profile {profile}: la sesión {name} usa {uses}"),
    "run.answers_or_resume": ("--answers FILE is required (or --resume NAME)",
                              "hace falta --answers FICHERO (o --resume NOMBRE)"),
    "run.no_file": ("{path}: no such file", "{path}: no existe el fichero"),
    "run.secret_prompt": ("{name} (fed on stdin, never stored):", "{name} (se pasa por stdin, nunca se guarda):"),
    "run.secret_needed": ("{name} needed (fed on stdin, never stored): set {var}",
                          "hace falta {name} (se pasa por stdin, nunca se guarda): define {var}"),
    "run.no_tty": (" (stdin is not a terminal, cannot prompt)", " (stdin no es un terminal, no se puede preguntar)"),
    "run.sudo_prompt": ("SSH/sudo password for {user} (empty: none):",
                        "Contraseña SSH/sudo de {user} (vacía: ninguna):"),
    "run.interrupted": ("interrupted earlier: {actions} — its probe decides",
                        "interrumpida antes: {actions} — decide su comprobación previa"),
    "run.header": ("session {name} (profile {profile}); state in {folder}",
                   "sesión {name} (perfil {profile}); estado en {folder}"),
    "run.failed": ("failed: {action}", "falló: {action}"),
    "run.failed_on": ("failed: {action} on {nodes}", "falló: {action} en {nodes}"),
    "run.what_to_check": ("what to check: {hint}", "qué comprobar: {hint}"),
    "run.resume_with": ("resume with: ha-wizard run --resume {name}", "reanuda con: ha-wizard run --resume {name}"),
    "run.not_done": ("not done: {actions}", "sin hacer: {actions}"),
    "run.done": ("done: session {name}", "hecho: sesión {name}"),
    "run.exit": ("exit {codes}", "salida {codes}"),
    # -- answers files (wizard/base/answers.py) -------------------------------------------------------------
    "ans.table": ("{where}: expected a table, got {got}", "{where}: se esperaba una tabla, hay {got}"),
    "ans.unknown_key": ("{where}: unknown key", "{where}: clave desconocida"),
    "ans.missing": ("{where}: missing ({error})", "{where}: falta ({error})"),
    "ans.int": ("{where}: expected an integer, got {value}", "{where}: se esperaba un entero, hay {value}"),
    "ans.str": ("{where}: expected a string, got {value}", "{where}: se esperaba un texto, hay {value}"),
    "ans.list": ("{where}: expected a list of strings, got {value}",
                 "{where}: se esperaba una lista de textos, hay {value}"),
    "ans.array": ("{where}: expected an array of tables ([[{where}]])",
                  "{where}: se esperaba una lista de tablas ([[{where}]])"),
    "ans.file": ("answers file {path}: {error}", "fichero de respuestas {path}: {error}"),
    "ans.toml": ("answers file {path}: not valid TOML ({error})",
                 "fichero de respuestas {path}: TOML no válido ({error})"),
    "hostkey.pin_form": ("--pin {item}: expected HOST=SHA256:FINGERPRINT",
                         "--pin {item}: se esperaba HOST=SHA256:HUELLA"),
    "hostkey.pin_fp": ("--pin {item}: {fp} is not a SHA256 fingerprint (as `ssh-keygen -lf` prints)",
                       "--pin {item}: {fp} no es una huella SHA256 (como la que imprime `ssh-keygen -lf`)"),
    # -- reaching the nodes (wizard/base/reach.py, wizard/run/ssh.py, steps/access.py) ------------------------
    "reach.forward": ("port forward {host}:{port} → {guest}:{guest_port} (NAT network {network})",
                      "reenvío de puerto {host}:{port} → {guest}:{guest_port} (red NAT {network})"),
    "reach.direct": ("direct to {host}:{port}", "directo a {host}:{port}"),
    "reach.jump": ("through {directors} (ProxyJump) to {host}:{port}",
                   "a través de {directors} (ProxyJump) hasta {host}:{port}"),
    "col.reach": ("Reached", "Acceso"),
    "ssh.auth_failed": (
        "Authentication refused for {user} at {address}. Offered: keys {keys}{agent}; {password}. "
        "Way out: --identity FILE with a key the node accepts, or the password once (HA_WIZARD_SSH_PASSWORD, "
        "or typed when asked), after which the wizard installs its own key (the section “{section}”).",
        "Autenticación rechazada para {user} en {address}. Ofrecido: claves {keys}{agent}; {password}. "
        "Salida: --identity FICHERO con una clave que el nodo acepte, o la contraseña una vez "
        "(HA_WIZARD_SSH_PASSWORD, o escrita cuando se pida); después el asistente instala su propia clave "
        "(la sección «{section}»)."),
    "ssh.agent_keys": (", the SSH agent's keys", ", las claves del agente SSH"),
    "ssh.pw_not_given": ("no password (none given)", "ninguna contraseña (no se dio)"),
    "ssh.pw_refused": ("the password, refused", "la contraseña, rechazada"),
    "ssh.pw_not_allowed": ("no password: the server takes only {allowed}",
                           "ninguna contraseña: el servidor solo acepta {allowed}"),
    "ssh.unreachable": ("Cannot reach {address} ({reason}).", "No se llega a {address} ({reason})."),
    "ssh.hint_forward_refused": (
        "Nothing listens there: the port forward to {guest} is missing (the first section makes it; in "
        "VirtualBox, the NAT network {network}'s port forwarding). Check {fields} in the inventory.",
        "Nadie escucha ahí: falta el reenvío de puerto hacia {guest} (lo crea la primera sección; en VirtualBox, "
        "el reenvío de puertos de la red NAT {network}). Revisa {fields} en el inventario."),
    "ssh.hint_forward_dead": (
        "The port forward answered but the VM behind it ({guest}) did not: is the VM running, and is {guest} "
        "its address? Check {fields} in the inventory.",
        "El reenvío de puerto respondió pero la VM detrás ({guest}) no: ¿está en marcha la VM, y es {guest} su "
        "dirección? Revisa {fields} en el inventario."),
    "ssh.hint_direct": ("Is the VM running, and is that its address? Check {fields} in the inventory.",
                        "¿Está en marcha la VM, y es esa su dirección? Revisa {fields} en el inventario."),
    "ssh.hint_jump": ("Is the server running, and is that its address? Check {fields} in the inventory.",
                      "¿Está en marcha el servidor, y es esa su dirección? Revisa {fields} en el inventario."),
    "ssh.attempts": ("Tried {n} times over {seconds} s.", "Probado {n} veces durante {seconds} s."),
    "ssh.ask_password": ("SSH password for {user} on {node} ({address}), kept in memory only (empty: none)",
                         "Contraseña SSH de {user} en {node} ({address}), solo en memoria (vacía: ninguna)"),
    "val.forward_port": ("{host} is this machine: the wizard reaches the director through a port forward "
                         "there, which needs its own port (e.g. 2201), not 22",
                         "{host} es este ordenador: el asistente llega al director por un reenvío de puerto ahí, "
                         "que necesita su propio puerto (p. ej. 2201), no el 22"),
    "val.port_used": ("port {port} is already used by {other}", "el puerto {port} ya lo usa {other}"),
    "val.server_loopback": ("{host} is this machine: real servers are reached through a director (leave it "
                            "empty for the server's own address)",
                            "{host} es este ordenador: a los servidores reales se llega a través de un director "
                            "(déjalo vacío para usar la dirección del servidor)"),
    "val.ssh_host": ("{value!r} is neither an IPv4 address nor a host name",
                     "{value!r} no es ni una dirección IPv4 ni un nombre de máquina"),
    "val.ssh_port": ("{value} is not a TCP port (1-65535; 0 = the default)",
                     "{value} no es un puerto TCP (1-65535; 0 = el de siempre)"),
    "ssh.key_done": ("already done: logged in with a key, no password needed",
                     "ya estaba hecho: se entró con una clave, sin contraseña"),
    # -- section screen ---------------------------------------------------------------------------
    "sec.explanation": ("Why: the guide's explanation", "Por qué: la explicación del guion"),
    "sec.errata": ("⚠ errata fixed", "⚠ erratas"),
    "sec.fields": ("Values this section uses", "Valores que usa esta sección"),
    "sec.fields_apply": ("Apply", "Aplicar"),
    "sec.fields_applied": ("Values saved; the plan was rebuilt.", "Valores guardados; el plan se ha rehecho."),
    "sec.actions": ("Actions", "Acciones"),
    "sec.output": ("Output", "Salida"),
    "sec.no_fields": ("(no values of its own)", "(sin valores propios)"),
    "col.st": ("", ""),
    "col.action": ("Action", "Acción"),
    "col.target": ("Where", "Dónde"),
    "col.kind": ("Kind", "Tipo"),
    "sec.none_left": ("Every action of this section is done.", "Todas las acciones de esta sección están hechas."),
    "sec.last_section": ("This is the last section.", "Esta es la última sección."),
    "sec.done_title": ("Section done", "Sección terminada"),
    "sec.offer_next": ("“{done}” is done. Go on with section {n}, “{title}”?",
                       "«{done}» está terminada. ¿Seguir con la sección {n}, «{title}»?"),
    "sec.go_next": ("Next section", "Siguiente sección"),
    "sec.stay": ("Stay here", "Quedarme aquí"),
    "sec.out_of_date": ("out of date", "desactualizada"),
    "sec.stale": ("⟳ {n} done actions used values changed since they ran ({fields}).",
                  "⟳ {n} acciones hechas usaron valores que han cambiado desde entonces ({fields})."),
    "sec.stale.one": ("⟳ {n} done action used values changed since it ran ({fields}).",
                      "⟳ {n} acción hecha usó valores que han cambiado desde entonces ({fields})."),
    "sec.stale_one": ("out of date: it ran with the old value of {fields}",
                      "desactualizada: se ejecutó con el valor anterior de {fields}"),
    "sec.rerun_stale": ("Run them again", "Ejecutarlas otra vez"),
    "sec.erratum": ("the guide says", "el guion dice"),
    "sec.fields_applied_stale": ("Values saved; {n} done actions used the old ones: see ⟳.",
                                 "Valores guardados; {n} acciones hechas usaron los anteriores: mira ⟳."),
    "sec.fields_applied_stale.one": ("Values saved; {n} done action used the old ones: see ⟳.",
                                     "Valores guardados; {n} acción hecha usó los anteriores: mira ⟳."),
    "sec.busy": ("An action is running: wait for it or stop it (X).",
                 "Hay una acción en curso: espera o detenla (X)."),
    "sec.done_section": ("Section done: {title}", "Sección terminada: {title}"),
    "sec.stopped_fail": ("Stopped: {action} failed", "Detenido: falló {action}"),
    "sec.jump_warn": ("Earlier sections are not done: {sections}. Jump anyway?",
                      "Hay secciones anteriores sin terminar: {sections}. ¿Saltar igualmente?"),
    "sec.jump": ("Jump", "Saltar"),
    "sec.by_hand": ("by hand", "a mano"),
    "sec.edited_mark": ("edited", "editada"),
    "sec.where_local": ("this machine", "esta máquina"),
    "sec.cmd_none": ("(nothing runs: done by hand)", "(no se ejecuta nada: se hace a mano)"),
    "sec.stdin": ("stdin: {names} (secret, never shown)", "stdin: {names} (secreto, nunca se muestra)"),
    "sec.cancelled": ("Stopped by you.", "Detenido por ti."),
    "sec.no_engine": ("The engine is not available: {error}", "El motor no está disponible: {error}"),
    "fail.title": ("✘ {action} failed", "✘ {action} ha fallado"),
    "fail.exit": ("Exit status: {codes}", "Código de salida: {codes}"),
    "fail.stderr": ("Last lines of stderr:", "Últimas líneas de stderr:"),
    "fail.check": ("What to check:", "Qué comprobar:"),
    "fail.generic": ("Read the output above; fix the cause (or edit the command with E) and retry with R.",
                     "Lee la salida; corrige la causa (o edita la orden con E) y reintenta con R."),
    # -- dialogs ----------------------------------------------------------------------------------
    "edit.title": ("Edit the command before it runs (recorded as edited)",
                   "Edita la orden antes de ejecutarla (queda registrada como editada)"),
    "edit.run": ("Run edited", "Ejecutar editada"),
    "export.title": ("Export the transcript", "Exportar la transcripción"),
    "export.format": ("Format", "Formato"),
    "export.sh": ("sh — the setup script (to build it again)", "sh — el script de montaje (para repetirlo)"),
    "export.md": ("md — the full record (to hand in)", "md — el registro completo (para entregar)"),
    "export.path": ("File", "Fichero"),
    "export.go": ("Export", "Exportar"),
    "export.done": ("Transcript written to {path}", "Transcripción escrita en {path}"),
    "export.failed": ("Export failed: {error}", "Falló la exportación: {error}"),
    "export.no_session": ("No session yet: start or resume one first.",
                          "Aún no hay sesión: empieza o reanuda una."),
    "hostkey.title": ("Unknown host key: trust it?", "Clave de host desconocida: ¿confiar en ella?"),
    "hostkey.body": ("The wizard has never seen this machine. Compare the fingerprint with the one the node "
                     "shows (`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on its console) before trusting it.",
                     "El asistente nunca ha visto esta máquina. Compara la huella con la que muestra el nodo "
                     "(`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` en su consola) antes de confiar."),
    "hostkey.trust": ("Trust", "Confiar"),
    "hostkey.refuse": ("Refuse", "Rechazar"),
    "manual.title": ("By hand: {action}", "A mano: {action}"),
    "manual.done": ("Done — check it", "Hecho — compruébalo"),
    "manual.done_nocheck": ("Done", "Hecho"),
    "manual.check": ("Then the wizard checks it with:", "Después el asistente lo comprueba con:"),
    "manual.later": ("Not now", "Ahora no"),
    "clash.title": ("Section {n}: the clone's address clash", "Sección {n}: el conflicto de direcciones del clon"),
    "clash.body": (
        "The clone `{standby}` boots with `{master}`'s addresses ({ip}). Two machines with one address "
        "confuse ARP and SSH. The wizard avoids it in this order:",
        "El clon `{standby}` arranca con las direcciones de `{master}` ({ip}). Dos máquinas con una "
        "dirección confunden ARP y SSH. El asistente lo evita en este orden:"),
    "clash.step_via": ("reaches the clone at {via} (while {master} is off)",
                       "accede al clon en {via} (con {master} apagado)"),
    "clash.step_move": ("moves it to its own address and reconnects at {to}",
                        "lo mueve a su propia dirección y reconecta en {to}"),
    "clash.go": ("Understood", "Entendido"),
    "pw.title": ("hacluster password (kept in memory only)", "Contraseña de hacluster (solo en memoria)"),
    "pw.ssh_title": ("SSH password (kept in memory only)", "Contraseña SSH (solo en memoria)"),
    "pw.why": ("“{action}” needs it; it is fed on its standard input and never stored.",
               "«{action}» la necesita; se le pasa por la entrada estándar y nunca se guarda."),
    "help.title": ("Help", "Ayuda"),
    "help.start": (
        "Start: resume a session from the list (Enter on it: the most recent one is selected), start a new one "
        "(a name, then the inventory) or load an answers file first (TOML; `ha-wizard answers init FILE` writes "
        "one). A session you no longer want can be deleted: its checkpoint goes, the machines are not touched. "
        "The language you choose is remembered for the next time.",
        "Inicio: reanuda una sesión de la lista (Intro sobre ella: la más reciente está seleccionada), empieza "
        "una nueva (un nombre y después el inventario) o carga antes un fichero de respuestas (TOML; `ha-wizard "
        "answers init FICHERO` crea uno). Una sesión que ya no quieres se puede borrar: se pierde su punto de "
        "control, las máquinas no se tocan. El idioma que elijas se recuerda para la próxima vez."),
    "help.inventory": (
        "Inventory: every value of the guide, prefilled. Type to change one; a red message under a field "
        "says what is wrong and the wizard will not go on until every field is valid. The hacluster "
        "password is asked once, masked, and kept only in memory. 'Check connections' reaches every node, "
        "shows its host key fingerprint (trust on first use) and detects the profile from /etc/os-release "
        "and `pcs --version`; you can still choose another profile.",
        "Inventario: todos los valores del guion, ya rellenos. Escribe para cambiarlos; un mensaje rojo bajo "
        "el campo dice qué está mal y no se avanza hasta que todo es válido. La contraseña de hacluster se "
        "pide una vez, oculta, y solo se guarda en memoria. 'Comprobar conexiones' contacta con cada nodo, "
        "muestra la huella de su clave (confianza en el primer uso) y detecta el perfil con /etc/os-release y "
        "`pcs --version`; puedes elegir otro perfil."),
    "help.section": (
        "Section: the explanation (expand it), the values it uses (change them there: done actions that used "
        "a changed value are marked out of date), and its actions with the exact command. Run the next action "
        "or the whole section; skip, edit (recorded as edited) or retry the selected one; stop a running one. "
        "When a section is done the wizard offers the next one. The sidebar and the command palette jump to "
        "any section; Back returns to the start screen. Quitting mid-action stops it cleanly: resume the "
        "session later, at this section.",
        "Sección: la explicación (despliégala), los valores que usa (cámbialos ahí: las acciones hechas que "
        "usaron un valor cambiado quedan marcadas como desactualizadas) y sus acciones con la orden exacta. "
        "Ejecuta la siguiente acción o la sección entera; omite, edita (queda como editada) o reintenta la "
        "seleccionada; detén la que está en curso. Al terminar una sección el asistente ofrece la siguiente. La "
        "barra lateral y la paleta de órdenes saltan a cualquier sección; Atrás vuelve al inicio. Salir a mitad "
        "de una acción la detiene limpiamente: reanuda la sesión después, en esta sección."),
    "help.dialog": ("Enter confirms, Esc cancels.", "Intro confirma, Esc cancela."),
    "help.keys": ("Keys", "Teclas"),
    "help.complete": (
        "The guide is complete: every section is done. The figures the verification measured are below. Export the "
        "record (md: everything that was tried, the edits, skips and figures) or the setup script (sh: the "
        "commands that built the cluster, to run again on fresh machines).",
        "El guion está completo: todas las secciones están hechas. Abajo están las cifras que midió la "
        "verificación. Exporta el registro (md: todo lo intentado, las ediciones, omisiones y cifras) o el script de "
        "montaje (sh: las órdenes que construyeron el clúster, para repetirlas en máquinas nuevas)."),
    "done.title": ("✔ Guide complete: the highly available load balancer is built",
                   "✔ Guion completo: el balanceador de carga de alta disponibilidad está montado"),
    "done.summary": ("{sections} sections: {ok} actions done, {edited} edited, {skipped} skipped.",
                     "{sections} secciones: {ok} acciones hechas, {edited} editadas, {skipped} omitidas."),
    "done.figures": ("Figures measured", "Cifras medidas"),
    "done.no_figures": ("No figures were measured (the verification section was skipped).",
                        "No se midió ninguna cifra (se omitió la sección de verificación)."),
    "done.export_why": ("Hand in the record, or keep the script to build it again:",
                        "Entrega el registro, o guarda el script para montarlo otra vez:"),
    "done.export_md": ("Export the record (md)", "Exportar el registro (md)"),
    "done.export_sh": ("Export the setup script (sh)", "Exportar el script (sh)"),
    "done.back": ("Back to the sections", "Volver a las secciones"),
    "fig.figure": ("figure", "cifra"),
    "fig.value": ("value", "valor"),
    "fig.action": ("action", "acción"),
    "palette.section": ("Go to section {n}: {title}", "Ir a la sección {n}: {title}"),
    "palette.help": ("Open this section's screen", "Abre la pantalla de esta sección"),
    # -- plain mode ---------------------------------------------------------------------------------
    "plain.start": ("What do you want to do?", "¿Qué quieres hacer?"),
    "plain.resume_which": ("Which session?", "¿Qué sesión?"),
    "plain.edit_q": ("Change a value? (pick one, or continue)", "¿Cambiar un valor? (elige uno o continúa)"),
    "plain.continue": ("Continue", "Continuar"),
    "plain.value": ("New value for {field}", "Nuevo valor para {field}"),
    "plain.section_q": ("Section {n}/{total}: what now?", "Sección {n}/{total}: ¿y ahora?"),
    "plain.next_section": ("Next section", "Siguiente sección"),
    "plain.goto": ("Go to another section", "Ir a otra sección"),
    "plain.which_action": ("Which action?", "¿Qué acción?"),
    "plain.show_expl": ("Show the explanation", "Ver la explicación"),
    "plain.quit": ("Quit (the session can be resumed)", "Salir (la sesión se puede reanudar)"),
    "plain.lang": ("Switch language (ES/EN)", "Cambiar idioma (ES/EN)"),
    "plain.done": ("Manual step done?", "¿Paso manual hecho?"),
    "plain.trust": ("Trust {node}'s host key {fingerprint}?", "¿Confiar en la clave de {node} {fingerprint}?"),
    "plain.running": ("Running {action} on {where}", "Ejecutando {action} en {where}"),
    "plain.finished": ("{action}: {status}", "{action}: {status}"),
    "plain.all_done": ("Every section is done.", "Todas las secciones están hechas."),
    "plain.export_path": ("Write the transcript to", "Escribir la transcripción en"),
    # -- host steps: the machine running the wizard (wizard/run/local.py, hostops.py, httpops.py) ---------
    "local.shell_string": ("A host step must be a program and its arguments or a wizard operation, not a shell "
                           "command line (this machine may have no shell).",
                           "Un paso del anfitrión debe ser un programa con sus argumentos o una operación del "
                           "asistente, no una línea de shell (esta máquina puede no tener shell)."),
    "local.no_shell": ("This machine runs host steps without a shell: give one program and its arguments "
                       "(no {what}).",
                       "Esta máquina ejecuta los pasos del anfitrión sin shell: indica un programa y sus "
                       "argumentos (sin {what})."),
    "local.unreadable": ("The command cannot be read: {error}.", "No se puede leer la orden: {error}."),
    "local.empty": ("The command is empty.", "La orden está vacía."),
    "local.bad_argv": ("Not a program and its arguments.", "No es un programa con sus argumentos."),
    "local.no_argv": ("{action}: a host step without a program to run (an error of the plan).",
                      "{action}: un paso del anfitrión sin programa que ejecutar (un error del plan)."),
    "local.edit_host_op": ("The wizard does this step itself (in Python); its command is only the equivalent for a "
                           "POSIX shell and cannot be edited here. Run your own version by hand, then skip it.",
                           "Este paso lo hace el propio asistente (en Python); su orden es solo el equivalente "
                           "para un shell POSIX y no se puede editar aquí. Ejecuta tu versión a mano y omítelo."),
    "local.not_found": ("{program}: program not found.", "{program}: no se encuentra el programa."),
    "local.not_executable": ("{program}: not executable.", "{program}: no es ejecutable."),
    "local.unknown_op": ("Unknown wizard operation {op!r}.", "Operación del asistente desconocida {op!r}."),
    "local.vbox_missing": ("VBoxManage not found; looked in: {where}. Install VirtualBox, or put the path of "
                           "VBoxManage in the answers ([virtualbox] vboxmanage).",
                           "No se encuentra VBoxManage; se ha buscado en: {where}. Instala VirtualBox o pon la "
                           "ruta de VBoxManage en las respuestas ([virtualbox] vboxmanage)."),
    "local.vbox_configured_missing": ("VBoxManage not found at {where} (the answers' [virtualbox] vboxmanage): "
                                      "correct that path, or empty it to let the wizard find VBoxManage.",
                                      "No se encuentra VBoxManage en {where} ([virtualbox] vboxmanage de las "
                                      "respuestas): corrige esa ruta o déjala vacía para que el asistente lo "
                                      "busque."),
    "local.host_op_note": ("Done by the wizard itself (in Python, no shell); the lines above are its equivalent "
                           "for a POSIX shell.",
                           "Lo hace el propio asistente (en Python, sin shell); las líneas de arriba son su "
                           "equivalente para un shell POSIX."),
    "host.vm_absent": ("{vm} does not exist (yet): nothing to do.", "{vm} no existe (aún): nada que hacer."),
    "host.vm_already_running": ("{vm} is already running.", "{vm} ya está en marcha."),
    "http.failed": ("{url}: no answer ({why}).", "{url}: sin respuesta ({why})."),
    "http.requests_failed": ("{failed} of {total} requests failed.", "Fallaron {failed} de {total} peticiones."),
    "http.no_answer_from": ("{server} answered no request.", "{server} no respondió a ninguna petición."),
    "http.down_but_answered": ("{server} is down but answered.", "{server} está apagado pero respondió."),
    "measure.no_figure": ("Nothing was measured and no figure is recorded: restore that state, then run this "
                          "test again (or skip it).",
                          "No se ha medido nada ni se registra ninguna cifra: restablece ese estado y repite "
                          "esta prueba (u omítela)."),
    "measure.not_running": ("Precondition not met: {vm} must be running before this test powers it off (it is "
                            "{state}); a time measured now would not be a failover.",
                            "No se cumple la condición previa: {vm} debe estar en marcha antes de que esta prueba "
                            "la apague (está {state}); un tiempo medido ahora no sería una conmutación."),
    "measure.not_off": ("Precondition not met: {vm} must be off before this test powers it on (it is {state}).",
                        "No se cumple la condición previa: {vm} debe estar apagada antes de que esta prueba la "
                        "encienda (está {state})."),
    "measure.not_serving": ("Precondition not met: {url} must serve before the test (it does not now), or there is "
                            "no recovery to time.",
                            "No se cumple la condición previa: {url} debe servir antes de la prueba (ahora no "
                            "sirve); si no, no hay recuperación que medir."),
    "measure.timeout": ("{name}: the expected change did not show within {limit} s.",
                        "{name}: el cambio esperado no se vio en {limit} s."),
    "measure.fail.vip_back": ("{url} did not serve again within {limit} s.",
                              "{url} no volvió a servir en {limit} s."),
    "measure.fail.server_still": ("Requests still fail or reach {server} after {limit} s.",
                                  "Tras {limit} s las peticiones siguen fallando o llegando a {server}."),
    "measure.fail.error_page": ("No local error page (HTTP 503) from {url} within {limit} s.",
                                "{url} no devolvió la página de error local (HTTP 503) en {limit} s."),
    "measure.fail.one_and_one": ("{server} did not serve through {director} within {limit} s.",
                                 "{server} no sirvió a través de {director} en {limit} s."),
    "measure.fail.all_back": ("Not every real server serves again after {limit} s.",
                              "No todos los servidores reales vuelven a servir tras {limit} s."),
    "measure.fail.failback": ("{node} did not serve {url} again within {limit} s.",
                              "{node} no volvió a servir {url} en {limit} s."),
    # -- preflight (steps/preflight.py, wizard/run/preflight_ops.py) ------------------------------------
    "preflight.vm_not_yet": ("{vm} does not exist yet: it is made later in the guide; its checks are skipped.",
                             "{vm} aún no existe: se crea más adelante en la guía; se omiten sus comprobaciones."),
    "preflight.vm_exists": ("{vm} exists already (state: {state}).", "{vm} ya existe (estado: {state})."),
    "eng.not_tried": ("not tried: {node} could not be reached earlier in this section",
                      "sin intentar: no se pudo llegar a {node} antes en esta sección"),
    "checklist.title": ("Checklist", "Lista de comprobación"),
    "checklist.not_tried": ("not tried: the node did not answer", "sin intentar: el nodo no respondió"),
    "checklist.summary": ("{ok} passed, {warn} warnings, {failed} failed, {pending} to run",
                          "{ok} bien, {warn} avisos, {failed} fallidas, {pending} por hacer"),
    "sec.versions": ("pcs syntax: {text}", "Sintaxis de pcs: {text}"),
    "sec.checks_failed": ("Checks done: some failed (see the checklist: what is wrong and what to do).",
                          "Comprobaciones hechas: algunas fallaron (mira la lista: qué pasa y qué hacer)."),
    # -- the words a student reads instead of the wizard's own names (ids, answers paths, probes) ---------
    "sec.details": ("Details", "Detalles"),
    "sec.details_id": ("Action id (its name in the record and on the command line): {id}",
                       "Id de la acción (su nombre en el registro y en la línea de órdenes): {id}"),
    "sec.details_probe": ("Already-done check: {probe}", "Comprobación de si ya está hecha: {probe}"),
    "sec.probe_words": ("Skipped when already done: a check that changes nothing runs first (its command: Details).",
                        "Se omite si ya está hecha: antes se ejecuta una comprobación que no cambia nada (su orden: "
                        "Detalles)."),
    "sec.stdin_words": ("Reads {names} on its standard input (never shown, never stored).",
                        "Lee {names} por su entrada estándar (nunca se muestra ni se guarda)."),
    "sec.awaits": ("Looks for: {what}", "Busca: {what}"),
    "sec.seen": ("seen: {what}", "visto: {what}"),
    "secret.hacluster_password": ("the hacluster password", "la contraseña de hacluster"),
    "secret.wizard_public_key": ("the wizard's public key", "la clave pública del asistente"),
    "secret.ssh_password": ("the SSH/sudo password", "la contraseña SSH/sudo"),
    "pw.secret_title": ("{name} (kept in memory only)", "{name} (solo en memoria)"),
    "clash.reach": ("The wizard reaches {master} at {reach}: a port forward on this computer to its SSH, not its "
                    "address.",
                    "El asistente llega a {master} por {reach}: un reenvío de puerto de este ordenador a su SSH, no "
                    "su dirección."),
    # OS and paramiko errors in words (wizard/run/errors.py's reason_of: the original follows in parentheses).
    "oserr.refused": ("connection refused", "conexión rechazada: nadie escucha en ese puerto"),
    "oserr.reset": ("connection reset", "el otro extremo cortó la conexión"),
    "oserr.aborted": ("connection aborted", "conexión abortada"),
    "oserr.host_unreachable": ("no route to host", "no hay ruta hasta esa máquina"),
    "oserr.net_unreachable": ("network unreachable", "red inalcanzable"),
    "oserr.host_down": ("host is down", "la máquina no responde"),
    "oserr.net_down": ("network is down", "la red no funciona"),
    "oserr.timeout": ("timed out", "se agotó el tiempo de espera"),
    "oserr.broken_pipe": ("broken pipe", "la conexión se rompió al escribir"),
    "oserr.addr_not_available": ("address not available", "dirección no disponible en este ordenador"),
    "oserr.addr_in_use": ("address already in use", "la dirección ya está en uso"),
    "oserr.no_file": ("no such file or directory", "no existe el fichero o la carpeta"),
    "oserr.permission": ("permission denied", "permiso denegado"),
    "oserr.no_space": ("no space left on device", "no queda espacio en el disco"),
    "oserr.no_name": ("name not known", "no se conoce ese nombre de máquina"),
    "oserr.closed": ("the connection closed", "la conexión se cerró"),
    "oserr.no_banner": ("no SSH greeting came", "no llegó el saludo de SSH"),
    "oserr.no_session": ("the SSH session is gone", "la sesión SSH ya no existe"),
    "oserr.connect_failed": ("the connection failed", "la conexión falló"),
    "oserr.prohibited": ("refused by the jump host's settings", "lo prohíbe la configuración del host de salto"),
    "inv.reached": ("reached", "conectado"),
    "vbox.lab_standin": ("the lab's VBoxManage stand-in, version {version} (not VirtualBox)",
                         "el sustituto de VBoxManage del laboratorio, versión {version} (no es VirtualBox)"),
    # Figures in words (wizard/ui/widgets/figures.py): the measuring scripts' names, labels and units.
    "fig.name.requests": ("requests answered", "peticiones atendidas"),
    "fig.name.director_failover": ("failover after a director goes off", "conmutación al apagar un director"),
    "fig.name.server_down_detected": ("a dead real server noticed", "servidor real caído detectado"),
    "fig.name.error_page_after": ("error page with no real server", "página de error sin servidores reales"),
    "fig.name.one_and_one_serving": ("serving with one director and one server",
                                     "sirve con un director y un servidor"),
    "fig.name.failback": ("back to the preferred director", "vuelta al director preferido"),
    "fig.name.all_servers_back": ("every real server back", "vuelven todos los servidores reales"),
    "fig.name.haproxy_recovery": ("haproxy restarted by Pacemaker", "haproxy relanzado por Pacemaker"),
    "fig.name.ab_rps": ("ab: requests per second", "ab: peticiones por segundo"),
    "fig.name.ab_mean_ms": ("ab: mean time per request", "ab: tiempo medio por petición"),
    "fig.name.ab_failed": ("ab: failed requests", "ab: peticiones fallidas"),
    "fig.name.ab_complete": ("ab: complete requests", "ab: peticiones completadas"),
    "fig.name.siege_rps": ("siege: requests per second", "siege: peticiones por segundo"),
    "fig.name.siege_mean_ms": ("siege: mean time per request", "siege: tiempo medio por petición"),
    "fig.name.siege_availability": ("siege: availability", "siege: disponibilidad"),
    "fig.label.server": ("server {value}", "servidor {value}"),
    "fig.label.off": ("{value} off", "{value} apagado"),
    "fig.label.director": ("director {value}", "director {value}"),
    "fig.label.page": ("page {value}", "página {value}"),
    "fig.label.servers": ("real servers: {value}", "servidores reales: {value}"),
    "fig.unit.requests": ("requests", "peticiones"),
    "fig.unit.req/s": ("req/s", "pet./s"),
    # The command palette (Ctrl+P): Textual's words replaced.
    "palette.placeholder": ("Go to a section: type part of its name or number…",
                            "Ir a una sección: escribe parte de su nombre o su número…"),
    "palette.no_matches": ("No section matches", "Ninguna sección coincide"),
    "palette.no_session": ("Start or resume a session first: then the palette goes to its sections",
                           "Empieza o reanuda antes una sesión: entonces la paleta va a sus secciones"),
    "palette.exit": ("Close the palette", "Cerrar la paleta"),
    "palette.next": ("Next", "Siguiente"),
    "palette.previous": ("Previous", "Anterior"),
    "palette.page_down": ("Next page", "Página siguiente"),
    "palette.page_up": ("Previous page", "Página anterior"),
    "palette.first": ("First", "Primera"),
    "palette.last": ("Last", "Última"),
    # Default file names of the exports (the app's export dialog, plain mode).
    "export.file_sh": ("{name}-setup.sh", "{name}-montaje.sh"),
    "export.file_md": ("{name}-record.md", "{name}-registro.md"),
    # Out-of-date marks that clear (wizard/session/staleness.py's refresh), and what the record says of them.
    "sec.fields_back": ("Values saved; {n} actions ran with these values: up to date again.",
                        "Valores guardados; {n} acciones se ejecutaron con estos valores: vuelven a estar al día."),
    "sec.fields_back.one": ("Values saved; {n} action ran with these values: up to date again.",
                            "Valores guardados; {n} acción se ejecutó con estos valores: vuelve a estar al día."),
    "done.title_stale": ("⟳ Every action done, but {n} ran with values changed since: run them again (⟳)",
                         "⟳ Todas las acciones hechas, pero {n} usaron valores cambiados después: ejecútalas otra "
                         "vez (⟳)"),
    "tr.md.values": ("Values changed", "Valores cambiados"),
    "tr.md.value_change": ("{field}: {old} → {new}", "{field}: {old} → {new}"),
    "tr.md.made_stale": ("out of date since (they ran with the old value): {actions}",
                         "desactualizadas desde entonces (se ejecutaron con el valor anterior): {actions}"),
    "tr.md.made_current": ("up to date again (they ran with this value): {actions}",
                           "de nuevo al día (se ejecutaron con este valor): {actions}"),
    "tr.md.stale_now": ("Out of date now (ran with values changed since)",
                        "Desactualizadas ahora (se ejecutaron con valores cambiados después)"),
    "tr.sh.stale": ("OUT OF DATE in the session: this ran with an old value of {fields}; the new one is not in "
                    "this command",
                    "DESACTUALIZADA en la sesión: se ejecutó con un valor anterior de {fields}; el nuevo no está en "
                    "esta orden"),
    # Groups of nodes an action runs on (the section screen's "Where").
    "where.directors": ("directors", "directores"),
    "where.servers": ("real servers", "servidores reales"),
    "where.nodes": ("every node", "todos los nodos"),
    "vbox.check_name": ("VBoxManage (this machine)", "VBoxManage (esta máquina)"),
    "vbox.found": ("{path} — version {version}", "{path} — versión {version}"),
    "vbox.version_failed": ("{path} found but `--version` failed: {error}",
                            "{path} encontrado, pero `--version` falló: {error}"),
    # -- sessions: who runs one, damaged checkpoints (wizard/session/state.py, wizard/session/lock.py) --------------
    "state.bad_name": ("session name {name!r}: use letters, digits, '.', '_' or '-' (at most 63)",
                       "nombre de sesión {name!r}: usa letras, cifras, '.', '_' o '-' (63 como máximo)"),
    "state.exists": ("session {name!r} already exists (resume it, or choose another name)",
                     "la sesión {name!r} ya existe (reanúdala o elige otro nombre)"),
    "state.no_such": ("no such session {name!r} (there is no folder {folder}); `ha-wizard sessions` lists them",
                      "no existe la sesión {name!r} (no hay carpeta {folder}); `ha-wizard sessions` las lista"),
    "state.damaged": (
        "session {name!r}: its state file {path} is damaged ({problem}). Nothing was changed. The last good "
        "checkpoint is kept beside it in {good}: `ha-wizard sessions --recover {name}` puts it back (the damaged "
        "file is kept, renamed) and the session goes on from there.",
        "sesión {name!r}: su fichero de estado {path} está dañado ({problem}). No se ha cambiado nada. El último "
        "punto de control bueno está a su lado, en {good}: `ha-wizard sessions --recover {name}` lo vuelve a poner "
        "(el fichero dañado se conserva, renombrado) y la sesión sigue desde ahí."),
    "state.damaged_no_copy": (
        "session {name!r}: its state file {path} is damaged ({problem}) and there is no earlier good copy. "
        "Nothing was changed: restore the file from a backup, or start a new session.",
        "sesión {name!r}: su fichero de estado {path} está dañado ({problem}) y no hay una copia buena anterior. "
        "No se ha cambiado nada: recupera el fichero de una copia de seguridad o empieza una sesión nueva."),
    "state.missing_with_copy": (
        "session {name!r}: its state file {path} is missing. The last good checkpoint is kept in {good}: "
        "`ha-wizard sessions --recover {name}` puts it back.",
        "sesión {name!r}: falta su fichero de estado {path}. El último punto de control bueno está en {good}: "
        "`ha-wizard sessions --recover {name}` lo vuelve a poner."),
    "state.older": (
        "session {name!r}: {path} was written by an older ha-wizard ({version}, checkpoint format {found}); this "
        "one ({ours}) reads format {expected} and cannot convert it. Nothing was changed: finish or export the "
        "session with the version that made it, or start a new one.",
        "sesión {name!r}: {path} lo escribió un ha-wizard más antiguo ({version}, formato de punto de control "
        "{found}); este ({ours}) lee el formato {expected} y no puede convertirlo. No se ha cambiado nada: termina "
        "o exporta la sesión con la versión que la creó, o empieza una nueva."),
    "state.newer": (
        "session {name!r}: {path} was written by a newer ha-wizard ({version}, checkpoint format {found}); this "
        "one ({ours}) reads format {expected}. Nothing was changed: upgrade ha-wizard to go on with it.",
        "sesión {name!r}: {path} lo escribió un ha-wizard más reciente ({version}, formato de punto de control "
        "{found}); este ({ours}) lee el formato {expected}. No se ha cambiado nada: actualiza ha-wizard para "
        "seguir con ella."),
    "state.no_good_copy": ("session {name!r}: no usable good copy to recover from ({path}: {problem})",
                           "sesión {name!r}: no hay una copia buena utilizable para recuperarla ({path}: {problem})"),
    "state.recovered": ("session {name}: the last good checkpoint (saved {updated}) is back in place; go on with "
                        "`ha-wizard run --resume {name}` or the app.",
                        "sesión {name}: el último punto de control bueno (guardado {updated}) vuelve a estar en su "
                        "sitio; sigue con `ha-wizard run --resume {name}` o con la aplicación."),
    "state.recovered_aside": ("The damaged file is kept as {aside}.", "El fichero dañado se conserva como {aside}."),
    "state.save_failed": (
        "could not save the checkpoint of session {name!r} ({path}: {error}). The last checkpoint on disk is "
        "intact. {fix}, then resume: `ha-wizard run --resume {name}`.",
        "no se pudo guardar el punto de control de la sesión {name!r} ({path}: {error}). El último punto de "
        "control en disco está intacto. {fix} y reanuda: `ha-wizard run --resume {name}`."),
    "state.save_taken": (
        "session {name!r}: its folder {path} was removed while it ran and another process has taken the session "
        "since; this run stops here.",
        "sesión {name!r}: su carpeta {path} se borró mientras se ejecutaba y otro proceso ha tomado la sesión "
        "desde entonces; esta ejecución se detiene aquí."),
    "state.fix_space": ("Free some disk space", "Libera espacio en disco"),
    "state.fix_access": ("Make the folder writable", "Da permiso de escritura en la carpeta"),
    "state.fix_other": ("Fix the cause", "Corrige la causa"),
    "state.in_use": (
        "session {name!r} is in use: {front} (pid {pid} on {host}) has been running it since {since}. One process "
        "at a time runs a session: wait for that one to end, or stop it, then try again. `ha-wizard sessions` "
        "shows which sessions are in use; `ha-wizard export` works meanwhile.",
        "la sesión {name!r} está en uso: {front} (pid {pid} en {host}) la ejecuta desde {since}. Una sesión la "
        "ejecuta un solo proceso a la vez: espera a que ese termine, o detenlo, y vuelve a intentarlo. "
        "`ha-wizard sessions` muestra qué sesiones están en uso; `ha-wizard export` funciona mientras tanto."),
    "state.in_use_unknown": (
        "session {name!r} is in use by another ha-wizard process (it did not say which). One process at a time "
        "runs a session: wait for it to end, or stop it, then try again.",
        "la sesión {name!r} está en uso por otro proceso de ha-wizard (no ha dicho cuál). Una sesión la ejecuta un "
        "solo proceso a la vez: espera a que termine, o detenlo, y vuelve a intentarlo."),
    "state.front.run": ("`ha-wizard run`", "`ha-wizard run`"),
    "state.front.app": ("the ha-wizard app", "la aplicación ha-wizard"),
    "state.front.plain": ("`ha-wizard --plain`", "`ha-wizard --plain`"),
    "state.front.recover": ("`ha-wizard sessions --recover`", "`ha-wizard sessions --recover`"),
    "state.front.delete": ("`ha-wizard sessions --delete`", "`ha-wizard sessions --delete`"),
    "state.delete_failed": ("session {name!r} could not be deleted: {error}",
                            "no se pudo borrar la sesión {name!r}: {error}"),
    "state.answers_problems": ("session {name!r}: the answers in its state file have problems:\n{problems}",
                               "sesión {name!r}: las respuestas de su fichero de estado tienen problemas:\n{problems}"),
    "sessions.none": ("no sessions yet", "aún no hay sesiones"),
    "sessions.in_use": ("pid {pid} ({front}), since {since}", "pid {pid} ({front}), desde {since}"),
    "sessions.in_use_host": ("pid {pid} on {host} ({front}), since {since}",
                             "pid {pid} en {host} ({front}), desde {since}"),
    "sessions.in_use_unknown": ("yes (another process)", "sí (otro proceso)"),
    "sessions.unreadable": ("{n} sessions cannot be read:", "{n} sesiones no se pueden leer:"),
    "sessions.unreadable.one": ("{n} session cannot be read:", "{n} sesión no se puede leer:"),
    "col.in_use": ("In use by", "En uso por"),
    # -- names that reach commands and files (wizard/base/names.py) -----------------------------------------
    "val.ifname_address": ("{value!r} is an address, not an interface name (like enp0s3: `ip -o link` lists them)",
                           "{value!r} es una dirección, no un nombre de interfaz (como enp0s3: `ip -o link` los "
                           "lista)"),
    "val.ifname_empty": ("an interface name is needed (like enp0s3)", "hace falta un nombre de interfaz (como enp0s3)"),
    "val.ifname_at": ("{value!r} is how `ip link` shows a link with its parent: the interface name is {name!r}",
                      "{value!r} es como `ip link` muestra un enlace con su padre: el nombre de la interfaz es "
                      "{name!r}"),
    "val.ifname_chars": ("{value!r} is not an interface name: {chars} cannot be in one (letters, digits, '_', '-' "
                         "and '.', as udev and systemd name them: enp0s3, eth0, ens33)",
                         "{value!r} no es un nombre de interfaz: {chars} no puede formar parte de uno (letras, "
                         "cifras, '_', '-' y '.', como los ponen udev y systemd: enp0s3, eth0, ens33)"),
    "val.ifname_long": ("{value!r} is not an interface name: {n} characters, and Linux allows at most {max}",
                        "{value!r} no es un nombre de interfaz: tiene {n} caracteres y Linux admite {max} como "
                        "mucho"),
    "val.ifname_start": ("{value!r} is not an interface name: it cannot start with '-' or '.'",
                         "{value!r} no es un nombre de interfaz: no puede empezar por '-' ni por '.'"),
    "val.ifname_reserved": ("{value!r} is not an interface name: Linux keeps it for itself (all digits, 'all', "
                            "'default')",
                            "{value!r} no es un nombre de interfaz: Linux lo reserva (solo cifras, 'all', "
                            "'default')"),
    "val.vbox_empty": ("a name is needed, exactly as VirtualBox shows it",
                       "hace falta un nombre, tal como lo muestra VirtualBox"),
    "val.vbox_unprintable": ("{value!r} has characters that cannot be shown or typed ({chars}): write the name "
                             "exactly as VirtualBox shows it",
                             "{value!r} tiene caracteres que no se pueden mostrar ni teclear ({chars}): escribe el "
                             "nombre tal como lo muestra VirtualBox"),
    "val.vbox_dash": ("{value!r} starts with '-', which VBoxManage reads as an option: rename it in VirtualBox "
                      "(for a VM, its UUID also works: `VBoxManage list vms`)",
                      "{value!r} empieza por '-', que VBoxManage lee como una opción: cámbiale el nombre en "
                      "VirtualBox (para una máquina también vale su UUID: `VBoxManage list vms`)"),
    "val.vbox_long": ("the name has {n} characters; at most {max}", "el nombre tiene {n} caracteres; como mucho {max}"),
    # -- back to the snapshot (wizard/run/undo.py, run --undo) -----------------------------------------
    "undo.note": ("undone: back to the snapshot \"{snapshot}\"", "deshecha: vuelta a la instantánea \"{snapshot}\""),
    "undo.needs_resume": ("--undo goes with --resume NAME (the session to take back)",
                          "--undo va con --resume NOMBRE (la sesión que se lleva atrás)"),
    "undo.heading": ("Back to the snapshot \"{snapshot}\" (session {name}):",
                     "Volver a la instantánea \"{snapshot}\" (sesión {name}):"),
    "undo.sections": ("sections undone, pending again: {sections} ({n} actions done in them now)",
                      "secciones que se deshacen y vuelven a quedar pendientes: {sections} ({n} acciones hechas "
                      "en ellas ahora)"),
    "undo.confirm_with_yes": ("going back powers off and restores every VM: confirm with --yes",
                              "volver atrás apaga y restaura todas las máquinas: confírmalo con --yes"),
    "undo.ask": ("Power off and restore every VM now?", "¿Apagar y restaurar todas las máquinas ahora?"),
    "undo.cancelled": ("Nothing done.", "No se ha hecho nada."),
    "undo.failed": ("going back stopped at {action}", "la vuelta atrás se detuvo en {action}"),
    "undo.done": ("Back to \"{snapshot}\": every VM restored; {n} actions are pending again.",
                  "De vuelta en \"{snapshot}\": todas las máquinas restauradas; {n} acciones vuelven a estar "
                  "pendientes."),
    "undo.next": ("Go on with: ha-wizard run --resume {name}", "Sigue con: ha-wizard run --resume {name}"),
    # -- exports (wizard/exports/transcript.py, wizard/exports/setup_script.py) -----------------------------------
    "undo.no_snapshot_section": ("this plan has no snapshot section: there is nothing to go back to",
                                 "este plan no tiene sección de instantánea: no hay adónde volver"),
    "undo.title": ("Back to the snapshot \"{snapshot}\"", "Volver a la instantánea \"{snapshot}\""),
    "undo.explain": (
        "Every VM is powered off, restored to \"{snapshot}\" and started again; a clone made after it is "
        "removed. The sections below become pending again ({n} actions done in them now are undone on the "
        "machines). The session keeps its record of what was done.",
        "Todas las máquinas se apagan, se restauran a \"{snapshot}\" y se vuelven a arrancar; un clon hecho "
        "después se elimina. Las secciones de abajo vuelven a quedar pendientes ({n} acciones hechas en ellas "
        "se deshacen en las máquinas). La sesión conserva el registro de lo hecho."),
    "undo.commands": ("What runs:", "Lo que se ejecuta:"),
    "undo.go": ("Power off and restore", "Apagar y restaurar"),
    "undo.app_done": ("Back to \"{snapshot}\": every VM restored. Go on from here.",
                      "De vuelta en \"{snapshot}\": todas las máquinas restauradas. Sigue desde aquí."),
    "bind.undo": ("Back to the snapshot", "Volver a la instantánea"),
    "tr.bad_format": ("--format {fmt!r}: choose sh or md", "--format {fmt!r}: elige sh o md"),
    "tr.already_done": ("already done", "ya hecha"),
    "tr.note.skipped": ("skipped by the user", "omitida por el usuario"),
    "tr.history_needs_sh": ("--history goes with --format sh", "--history va con --format sh"),
    "tr.sh.head": ("ha-wizard session {name} — profile {profile} — exported {when}",
                   "sesión de ha-wizard {name} — perfil {profile} — exportada el {when}"),
    "tr.sh.about": (
        "Sets the cluster up along the session's path: each action once, as it last succeeded, in the\n"
        "guide's order. An action whose check says it is already done is skipped; waits are retried for a\n"
        "bounded time; it stops at the first failure. Review it before running it: bash THIS_FILE.\n"
        "Secrets are not in this file: they are read below (or from the environment) and fed on stdin.",
        "Monta el clúster siguiendo el camino de la sesión: cada acción una vez, como tuvo éxito la última\n"
        "vez, en el orden del guion. Una acción cuya comprobación dice que ya está hecha se salta; las\n"
        "esperas se reintentan un tiempo acotado; se detiene en el primer fallo. Revísalo antes de\n"
        "ejecutarlo: bash ESTE_FICHERO. Los secretos no están en este fichero: se leen abajo (o del\n"
        "entorno) y se pasan por la entrada estándar."),
    "tr.sh.host_steps": (
        "Steps on this machine are the POSIX shell equivalents of what the wizard did itself without a shell\n"
        "(VBoxManage runs; VM-state waits, the verification's requests and clocks in Python): here they need\n"
        "sh, curl and coreutils, and VBoxManage where the session found it.",
        "Los pasos en esta máquina son los equivalentes en shell POSIX de lo que el asistente hizo sin shell\n"
        "(llamadas a VBoxManage; en Python las esperas de estado de las VM y las peticiones y relojes de la\n"
        "verificación): aquí necesitan sh, curl y coreutils, y VBoxManage donde lo encontró la sesión."),
    "tr.sh.ssh_opts": ("How the session reached the nodes: its keys, known_hosts files and host key policy.",
                       "Cómo llegó la sesión a los nodos: sus claves, ficheros known_hosts y política de claves de "
                       "host."),
    "tr.sh.python": ("Checks of the output use the wizard's own regular expressions (Python).",
                     "Las comprobaciones de la salida usan las expresiones regulares del asistente (Python)."),
    "tr.sh.failed": ("ha-wizard script: step {id} failed; fix it and run the script again (done steps are "
                     "skipped)",
                     "script de ha-wizard: falló el paso {id}; corrígelo y vuelve a ejecutar el script (los "
                     "pasos hechos se saltan)"),
    "tr.sh.helpers": (
        "failed ID: stop here. skip ID: its check said it is done. matches RE: stdin matches the regex.\n"
        "check ID RE: run `step` once, its output must match. retry ID TIMEOUT INTERVAL RE: run `step` until\n"
        "it succeeds and its output matches, bounded in time and tries (the wizard's waits).",
        "failed ID: parar aquí. skip ID: su comprobación dice que está hecho. matches RE: la entrada casa con\n"
        "la expresión. check ID RE: ejecutar `step` una vez; su salida debe casar. retry ID TIEMPO INTERVALO\n"
        "RE: ejecutar `step` hasta que tenga éxito y su salida case, acotado en tiempo e intentos (las\n"
        "esperas del asistente)."),
    "tr.sh.warning": ("warning (the session went on too): this check did not pass",
                      "aviso (la sesión también siguió): esta comprobación no pasó"),
    "tr.sh.already": ("already done, skipped", "ya hecho, se salta"),
    "tr.sh.not_yet": ("not yet; trying again", "todavía no; se reintenta"),
    "tr.sh.secrets": ("Secrets: from the environment when set there, else asked once (not echoed).",
                      "Secretos: del entorno si están ahí; si no, se piden una vez (sin eco)."),
    "tr.sh.askpass": ("The session logged in with a password: ssh gets it from this helper (SSH_ASKPASS), "
                      "never on a command line.",
                      "La sesión entró con contraseña: ssh la obtiene de este ayudante (SSH_ASKPASS), nunca en una "
                      "línea de órdenes."),
    "tr.sh.prompt": ("{what} (or set {var})", "{what} (o define {var})"),
    "tr.sh.drops": ("the connection may drop: the change runs detached", "la conexión puede cortarse: el cambio "
                    "se ejecuta desacoplado"),
    "tr.sh.bounded": ("until the node answers again and the change wrote its exit status (bounded)",
                      "hasta que el nodo responde de nuevo y el cambio dejó su código de salida (acotado)"),
    "tr.sh.erratum": ("fixes the guide: {text}", "corrige el guion: {text}"),
    "tr.sh.edited": ("EDITED in the session; the wizard had proposed:", "EDITADA en la sesión; el asistente "
                     "proponía:"),
    "tr.sh.was_skipped": ("SKIPPED by the user in the session — not run:",
                          "OMITIDA por el usuario en la sesión — no se ejecuta:"),
    "tr.sh.was_failed": ("FAILED in the session and never done since — not run:",
                         "FALLÓ en la sesión y no se hizo después — no se ejecuta:"),
    "tr.sh.was_cut": ("INTERRUPTED in the session and never done since — not run:",
                      "INTERRUMPIDA en la sesión y no se hizo después — no se ejecuta:"),
    "tr.sh.by_hand": ("by hand", "a mano"),
    "tr.sh.never": ("Not done in the session (not in this script):", "No hechas en la sesión (no están en este "
                    "script):"),
    "tr.sh.end": ("ha-wizard script: every step done.", "script de ha-wizard: todos los pasos hechos."),
    "tr.sh.figures": ("Figures measured in the session:", "Cifras medidas en la sesión:"),
    "tr.hist.about": ("--history: every attempt of the session in order, failed ones included.",
                      "--history: cada intento de la sesión en orden, también los fallidos."),
    "tr.hist.failed_too": ("ha-wizard: failed in the session too: {id}", "ha-wizard: también falló en la sesión: "
                           "{id}"),
    "tr.hist.not_run": ("not run", "no ejecutada"),
    "tr.hist.interrupted": ("INTERRUPTED: the wizard stopped while this ran (it ran at least in part)",
                            "INTERRUMPIDA: el asistente se detuvo mientras se ejecutaba (se ejecutó al menos en "
                            "parte)"),
    "tr.hist.already": ("already done (its probe said so) — not run:",
                        "ya hecha (su comprobación lo dijo) — no se ejecuta:"),
    "tr.md.title": ("ha-wizard session `{name}`", "Sesión de ha-wizard `{name}`"),
    "tr.md.profile": ("profile", "perfil"),
    "tr.md.created": ("created", "creada"),
    "tr.md.updated": ("updated", "actualizada"),
    "tr.md.actions": (
        "actions of the plan: {total} — done {done} (ran {ran}, already done {already}, edited {edited}), "
        "skipped by the user {skipped}, failed {failed}, not done {pending}",
        "acciones del plan: {total} — hechas {done} (ejecutadas {ran}, ya hechas {already}, editadas "
        "{edited}), omitidas por el usuario {skipped}, fallidas {failed}, sin hacer {pending}"),
    "tr.md.attempts": ("attempts recorded: {attempts} (failed {attempts_failed}, interrupted {interrupted})",
                       "intentos registrados: {attempts} (fallidos {attempts_failed}, interrumpidos "
                       "{interrupted})"),
    "tr.md.undos": ("back to the snapshot: {undos} times", "vuelta a la instantánea: {undos} veces"),
    "tr.md.undos.one": ("back to the snapshot: {undos} time", "vuelta a la instantánea: {undos} vez"),
    "tr.md.keys": ("Host keys trusted", "Claves de host aceptadas"),
    "tr.md.pending": ("Not done yet", "Sin hacer todavía"),
    "tr.md.undo": ("Back to the snapshot \"{snapshot}\"", "Vuelta a la instantánea \"{snapshot}\""),
    "tr.md.when": ("when", "cuándo"),
    "tr.md.undone_sections": ("sections undone (their actions are pending again)",
                              "secciones deshechas (sus acciones vuelven a estar pendientes)"),
    "tr.md.undone_actions": ("actions back to pending: {n}", "acciones de nuevo pendientes: {n}"),
    "tr.md.where": ("where", "dónde"),
    "tr.md.why": ("why", "por qué"),
    "tr.md.exit": ("exit status", "código de salida"),
    "tr.md.note": ("note", "nota"),
    "tr.md.error": ("error", "error"),
    "tr.md.on_fail": ("what to check", "qué revisar"),
    "tr.md.figure": ("figure", "cifra"),
    "tr.md.stdin": ("stdin: {names} (secret, not shown)", "entrada estándar: {names} (secreto, no se muestra)"),
    "tr.md.by_hand": ("by hand", "a mano"),
    "tr.md.times": ("started {started}, ended {ended}", "empezó {started}, terminó {ended}"),
    "tr.md.edited": ("Edited by the user; proposed:", "Editada por el usuario; se proponía:"),
    "tr.md.output": ("Output (last lines):", "Salida (últimas líneas):"),
    "tr.fig.title": ("Measured figures", "Cifras medidas"),
    "tr.fig.head": ("| test | figure | value |", "| prueba | cifra | valor |"),
    "tr.fig.bench_head": ("| tool | page | real servers | requests/s | mean ms per request | failed |",
                          "| herramienta | página | servidores reales | peticiones/s | ms medios por petición | "
                          "fallidas |"),
    # -- moving around, the layout at 80 columns, a crash (issue 21, part A) -------------------------
    "crash.note": ("ha-wizard: the app stopped on an unexpected error ({error}). Session '{name}' is saved{where}: "
                   "start ha-wizard again to go on there, or run it without the app: ha-wizard run --resume {name}",
                   "ha-wizard: la aplicación se ha parado por un error inesperado ({error}). La sesión '{name}' "
                   "está guardada{where}: arranca ha-wizard otra vez para seguir ahí, o ejecútala sin la "
                   "aplicación: ha-wizard run --resume {name}"),
    "crash.where": (" at section {n}. {title}", " en la sección {n}. {title}"),
    "crash.where_action": (", step {action}", ", paso {action}"),
    # The section's footer: short, so that the keys of the selected action fit in 80 columns (F1 lists all).
    "foot.run_next": ("Run", "Ejecutar"),
    "foot.run_section": ("Run all", "Sección"),
    "foot.skip": ("Skip", "Omitir"),
    "foot.edit": ("Edit", "Editar"),
    "foot.retry": ("Retry", "Reintentar"),
    "foot.sections": ("Sections", "Secciones"),
    "foot.next_section": ("Next section", "Siguiente"),
    "inv.conn_summary": ("{ok} of {n} answered.", "{ok} de {n} responden."),
    "inv.conn_summary_failed": ("{ok} of {n} answered; {failed} did not (why: under each one).",
                                "{ok} de {n} responden; {failed} no (el motivo, debajo de cada uno)."),
    "inv.detected_use": ("Detected profile: {profile}. \u201cUse it\u201d puts it in the Profile field.",
                         "Perfil detectado: {profile}. \u201cUsarlo\u201d lo pone en el campo Perfil."),
    "inv.use_why_none": ("\u201cUse it\u201d is off: no node said which system it runs, so no profile was detected.",
                         "\u201cUsarlo\u201d está desactivado: ningún nodo ha dicho qué sistema tiene, así que no se "
                         "ha detectado un perfil."),
    "inv.use_why_same": ("\u201cUse it\u201d is off: the detected profile, {profile}, is the one chosen already.",
                         "\u201cUsarlo\u201d está desactivado: el perfil detectado, {profile}, ya es el elegido."),
    "bind.toggle_sidebar": ("Hide/show the sections", "Ocultar/mostrar las secciones"),
    "manual.skip": ("Skip it (k)", "Omitirlo (k)"),
    "manual.choices": ("Not now: the section stops here (run it again when it is done). Skip: the section goes "
                       "on without it (k does the same on the section's screen).",
                       "Ahora no: la sección se para aquí (vuelve a ejecutarla cuando esté hecho). Omitirlo: la "
                       "sección sigue sin este paso (k hace lo mismo en la pantalla de la sección)."),

}


@dataclass(frozen=True)
class Msg:
    """A message for the user in both languages, made from a catalogue key (`msg`).

    Stored as both texts (an engine note, a validation problem, an error in the checkpoint), so a
    session shows its messages in whatever language it is opened in, like the steps' `why`/`why_es`.
    `str()` is the English text: logs and older readers keep working.
    """

    en: str
    es: str

    def get(self, lang: str) -> str:
        return self.es if lang == "es" else self.en

    def __str__(self) -> str:
        return self.en

    def __bool__(self) -> bool:
        return bool(self.en or self.es)

    @classmethod
    def raw(cls, text: str) -> Msg:
        """Text from outside the wizard (a command's output, the OS's error): the same in both."""
        return cls(text, text)

    @classmethod
    def join(cls, parts: Iterable[Msg | str], sep: str = "; ") -> Msg:
        items = [p if isinstance(p, Msg) else Msg.raw(p) for p in parts]
        return cls(sep.join(p.en for p in items), sep.join(p.es for p in items))

    def __add__(self, other: Msg | str) -> Msg:
        other = other if isinstance(other, Msg) else Msg.raw(other)
        return Msg(self.en + other.en, self.es + other.es)


EMPTY = Msg("", "")


def msg(key: str, /, **params: object) -> Msg:
    """The catalogue text `key` in both languages; a Msg parameter is used in the same language."""
    return Msg(t(key, "en", **params), t(key, "es", **params))


def pick(en: str, es: str, lang: str) -> str:
    """A stored pair (`error` / `error_es`): the Spanish one when there is one and it is wanted."""
    return es if lang == "es" and es else en


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class LocalizedError(Exception):
    """An error whose message is a Msg; `str()` is the English text, `.msg` has both."""

    def __init__(self, message: Msg | str, *args: object) -> None:
        self.msg = message if isinstance(message, Msg) else Msg.raw(str(message))
        super().__init__(self.msg.en, *args)


def msg_of(exc: BaseException) -> Msg:
    """An exception's message in both languages when it has them, else its text as it is."""
    m = getattr(exc, "msg", None)
    if isinstance(m, Msg):
        return m
    text = getattr(exc, "text", None)  # StateError's own form: text(lang)
    if callable(text):
        try:
            return Msg(str(text("en")), str(text("es")))
        except (TypeError, KeyError, ValueError):
            pass
    return Msg.raw(str(exc) or type(exc).__name__)


def default_lang(environ: dict[str, str] | None = None) -> str:
    """Spanish when the locale says so (LC_ALL, LC_MESSAGES, LANG, LANGUAGE, in POSIX order), else English."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return "es" if value.lower().startswith("es") else "en"
    return "en"


def t(key: str, lang: str, /, **values: object) -> str:
    """The string `key` in `lang`, formatted; an unknown key shows as itself (never crashes the UI)."""
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "es" else pair[0]
    if not values:
        return text
    return text.format(**{k: v.get(lang) if isinstance(v, Msg) else v for k, v in values.items()})


def plural(key: str, n: int) -> str:
    """The catalogue key for `n` things: `key.one` for one when the catalogue has it (Spanish and English both
    say "1 vez" / "2 veces"; never "vez/veces" or "acción(es)"), else `key`."""
    return f"{key}.one" if n == 1 and f"{key}.one" in STRINGS else key


def status_text(status: str, lang: str) -> str:
    return t(f"status.{status}", lang)
