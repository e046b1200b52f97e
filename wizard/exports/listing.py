"""The plan as a readable listing (`ha-wizard plan`): what would run, where, in order.

No host is contacted. Commands are printed exactly as they would run; secrets appear only as
the names of what is fed on stdin.
"""

from __future__ import annotations

from collections.abc import Iterable

from steps import full_plan
from steps.model import Action, Target
from steps.profiles import Profile
from wizard.base.answers import Answers


def _node_label(answers: Answers, name: str, via: str = "") -> str:
    try:
        address = answers.node(name).address
    except KeyError:
        return name
    if via and via != address:
        return f"{name} (via {via})"
    return f"{name} ({address})"


def target_label(answers: Answers, target: Target, via: str = "") -> str:
    """`@local`, `@master (192.168.1.101)`, `@directors: master (...), standby (...)`."""
    if target.is_local:
        return "@local"
    labels = ", ".join(_node_label(answers, n, via) for n in target.nodes)
    if target.kind == "group":
        return f"@{target.group}: {labels}"
    return f"@{labels}"


def action_lines(answers: Answers, action: Action, lang: str = "en") -> list[str]:
    why = action.why_es if lang == "es" and action.why_es else action.why
    lines = [f"# {target_label(answers, action.target, action.via_address)}", f"# {why}"]
    if action.erratum:
        lines.append(f"# erratum fixed: {action.erratum}")
    if action.kind == "manual":
        text = action.instructions_es if lang == "es" and action.instructions_es else action.instructions
        lines += [f"# by hand: {line}" for line in text.splitlines()]
    if action.probe:
        lines.append(f"# skipped when already done: {action.probe}")
    if action.secrets:
        lines.append(f"# stdin: {', '.join(action.secrets)} (secret, never shown)")
    elif "{now}" in action.stdin:
        lines.append("# stdin: this machine's clock when it runs (seconds since 1970)")
    if action.kind in ("check", "wait") and action.expect:
        lines.append(f"# expect output matching: {action.expect}")
    if action.kind == "wait":
        lines.append(f"# retried every {action.interval:g} s for up to {action.timeout:g} s")
    if action.disrupts_network:
        where = f" at {action.reconnect_to}" if action.reconnect_to else ""
        lines.append(f"# drops the connection: run detached, then reconnect{where}")
    if action.command:
        lines.append(action.command)
    return lines


def render_listing(answers: Answers, profile: Profile, sections: Iterable[str] | None = None,
                   lang: str = "en") -> str:
    wanted = set(sections) if sections else None
    out: list[str] = [f"# ha-wizard plan — profile {profile.name}: {profile.description}",
                      f"# {profile.versions_text().get(lang)}"]
    for number, (module, actions) in enumerate(full_plan(answers, profile), start=1):
        if wanted is not None and module.ID not in wanted:
            continue
        out += ["", f"## {number}. {module.TITLE.get(lang)} [{module.ID}]"]
        for action in actions:
            out.append("")
            out += action_lines(answers, action, lang)
    return "\n".join(out) + "\n"
