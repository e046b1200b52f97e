"""CentOS 7 after its end of life (2024-06-30): the repositories moved to archives.

A stock CentOS 7 VM's yum asks mirrorlist.centos.org, which no longer answers, and EPEL 7's metalink
lists no mirror any more: `yum install` fails before the guide's first package. The usual fix, as
actions the student sees and can undo: keep a copy of each repository file (`<file>.ha-wizard-orig`,
which yum ignores), point the files at the archive (vault.centos.org/7.9.2009, the last release;
archives.fedoraproject.org for EPEL 7), clear yum's cache and fetch the new metadata. Each action is
skipped where no repository asks the dead mirrors (already fixed, or not CentOS).

Undo: `for f in /etc/yum.repos.d/*.ha-wizard-orig; do mv "$f" "${f%.ha-wizard-orig}"; done; yum clean all`.
"""

from __future__ import annotations

from steps.model import Action, Target, Text

CENTOS_REPOS = "/etc/yum.repos.d/CentOS-*.repo"
EPEL_REPOS = "/etc/yum.repos.d/epel*.repo"
VAULT = "http://vault.centos.org/7.9.2009"
EPEL_ARCHIVE = "https://archives.fedoraproject.org/pub/archive/epel/7"
BACKUP_SUFFIX = ".ha-wizard-orig"
UNDO = (f'for f in /etc/yum.repos.d/*{BACKUP_SUFFIX}; do mv "$f" "${{f%{BACKUP_SUFFIX}}}"; done; '
        "yum clean all")

# An enabled-looking line that still asks a mirror service that is gone.
DEAD_CENTOS = r"^[[:space:]]*mirrorlist=[^#]*mirrorlist\.centos\.org"
DEAD_EPEL = r"^[[:space:]]*(metalink|mirrorlist)=[^#]*repo=epel-7"

NOTE = Text(
    en="What the guide could not know: CentOS 7 reached its end of life on 2024-06-30 and its mirrors are "
       "gone, so on a stock CentOS 7 VM `yum install` fails on mirrorlist.centos.org (and EPEL 7's, for "
       "siege, on its metalink). Where that is the case the wizard offers the usual fix before the first "
       "install: it keeps a copy of each repository file (`.ha-wizard-orig`, ignored by yum), points the "
       "files at the archive of the last release (vault.centos.org/7.9.2009; archives.fedoraproject.org for "
       "EPEL 7), then runs `yum clean all` and `yum makecache`. You see each command before it runs and may "
       f"skip it; to undo: `{UNDO}`. Nodes whose repositories work are left alone.",
    es="Lo que la guía no podía saber: CentOS 7 llegó al fin de su vida el 30-06-2024 y sus réplicas han "
       "desaparecido, así que en una VM CentOS 7 tal cual `yum install` falla en mirrorlist.centos.org (y el "
       "de EPEL 7, para siege, en su metalink). Donde pasa eso, el asistente ofrece el arreglo habitual antes "
       "de la primera instalación: guarda una copia de cada fichero de repositorio (`.ha-wizard-orig`, que "
       "yum ignora), apunta los ficheros al archivo de la última versión (vault.centos.org/7.9.2009; "
       "archives.fedoraproject.org para EPEL 7) y ejecuta `yum clean all` y `yum makecache`. Ves cada orden "
       f"antes de que se ejecute y puedes omitirla; para deshacerlo: `{UNDO}`. Los nodos cuyos repositorios "
       "funcionan se quedan como están.",
)


def _no_dead(pattern: str, files: str) -> str:
    """Probe: exit 0 (nothing to do) when no repository file asks the dead mirrors."""
    return f"! grep -qsE '{pattern}' {files}"


def _not_fixed_here(files: str) -> str:
    """Probe: exit 0 (nothing to do) when the wizard backed up none of these files (it changed nothing)."""
    return f"! ls {files.replace('*.repo', '*.repo' + BACKUP_SUFFIX)} >/dev/null 2>&1"


def _backup(files: str) -> str:
    # -n: a second run keeps the first copy (the original), not an already edited file.
    return f'for f in {files}; do if [ -e "$f" ]; then cp -pn "$f" "$f{BACKUP_SUFFIX}" || exit 1; fi; done'


def vault_actions(section: str, target: Target) -> list[Action]:
    """Point CentOS 7's repositories at vault.centos.org (before the first yum install)."""
    probe = _no_dead(DEAD_CENTOS, CENTOS_REPOS)
    edit = ("sed -i -e 's|^mirrorlist=|#mirrorlist=|' "
            rf"-e 's|^#\?baseurl=http://mirror\.centos\.org/centos/\$releasever|baseurl={VAULT}|' "
            f"{CENTOS_REPOS}")
    return [
        Action(id=f"{section}.vault_backup", kind="run", target=target, command=_backup(CENTOS_REPOS), probe=probe,
               title="Back up the repository files", title_es="Copia de los repositorios",
               why="CentOS 7 is end of life: keep a copy of each repository file before pointing it at the vault.",
               why_es="CentOS 7 está fuera de soporte: guardar una copia de cada fichero de repositorio antes de "
                      "apuntarlo al archivo (vault)."),
        Action(id=f"{section}.vault_repos", kind="run", target=target, command=edit, probe=probe,
               title="Repositories to the CentOS vault", title_es="Repositorios al archivo",
               why=f"The repositories use the archive of the last release ({VAULT}) instead of the dead mirrors.",
               why_es=f"Los repositorios usan el archivo de la última versión ({VAULT}) en lugar de las réplicas "
                      "desaparecidas."),
        Action(id=f"{section}.vault_clean", kind="run", target=target, command="yum clean all",
               probe=_not_fixed_here(CENTOS_REPOS),
               title="Clean yum's cache", title_es="Limpiar la caché de yum",
               why="Forget what yum learnt from the old mirrors.", why_es="Olvidar lo que yum sabía de las réplicas."),
        Action(id=f"{section}.vault_makecache", kind="run", target=target, command="yum makecache", timeout=900,
               probe=_not_fixed_here(CENTOS_REPOS),
               title="Fetch the repositories' metadata", title_es="Descargar los metadatos",
               why="Fetch the repositories' metadata from the vault (this also proves it answers).",
               why_es="Descargar los metadatos de los repositorios desde el archivo (y comprobar que responde).",
               on_fail="The vault did not answer: check the VM reaches the Internet (ping -c 3 vault.centos.org).",
               on_fail_es="El archivo no respondió: comprueba que la VM llega a Internet "
                          "(ping -c 3 vault.centos.org)."),
    ]


def epel_archive_actions(section: str, target: Target) -> list[Action]:
    """Point EPEL 7 (installed by epel-release) at its archive (before installing siege)."""
    probe = _no_dead(DEAD_EPEL, EPEL_REPOS)
    edit = ("sed -i -e 's|^metalink=|#metalink=|' -e 's|^mirrorlist=|#mirrorlist=|' "
            rf"-e 's|^#\?baseurl=https\?://[^/]*/pub/epel/7|baseurl={EPEL_ARCHIVE}|' {EPEL_REPOS}")
    return [
        Action(id=f"{section}.epel_backup", kind="run", target=target, command=_backup(EPEL_REPOS), probe=probe,
               tags=("bench",),
               title="Back up EPEL's repository file", title_es="Copia del repositorio EPEL",
               why="EPEL 7 is archived too: keep a copy of its repository file first.",
               why_es="EPEL 7 también está archivado: guardar antes una copia de su fichero de repositorio."),
        Action(id=f"{section}.epel_archive", kind="run", target=target, command=edit, probe=probe, tags=("bench",),
               title="EPEL to its archive", title_es="EPEL a su archivo",
               why=f"EPEL 7 from its archive ({EPEL_ARCHIVE}) instead of the metalink that lists no mirror.",
               why_es=f"EPEL 7 desde su archivo ({EPEL_ARCHIVE}) en lugar del metalink que ya no da réplicas."),
        Action(id=f"{section}.epel_clean", kind="run", target=target, command="yum clean all", tags=("bench",),
               probe=_not_fixed_here(EPEL_REPOS),
               title="Clean EPEL's metadata", title_es="Limpiar los metadatos de EPEL",
               why="Forget EPEL's old metadata.", why_es="Olvidar los metadatos antiguos de EPEL."),
    ]
