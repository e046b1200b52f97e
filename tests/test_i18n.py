"""The catalogue (wizard/i18n.py): every key in both languages, the same placeholders in both, every key
the code names exists, and no Spanish text that is only the English one copied.

The screens themselves are scanned in tests/test_i18n_screens.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wizard.base.i18n import STRINGS, Msg, msg, placeholders, t

ROOT = Path(__file__).resolve().parents[1]

# Texts that are rightly the same in both languages: names, symbols, formats without words.
SAME_IN_BOTH = {
    "btn.no", "bind.lang", "inv.general", "inv.director", "inv.virtualbox", "field.dns", "field.ip",
    "field.ifname", "eng.node_error", "cli.os_error", "plain.finished", "state.front.run", "state.front.plain",
    "state.front.recover", "state.front.delete", "tr.md.error", "fig.label.director", "tr.md.value_change",
}
EMPTY_ALLOWED = {"col.st"}  # the status icon column has no title


def dummy(text: str) -> dict[str, object]:
    return {name: f"<{name}>" for name in placeholders(text)}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_key_has_both_texts_with_the_same_placeholders(key: str) -> None:
    en, es = STRINGS[key]
    if key not in EMPTY_ALLOWED:
        assert en.strip(), f"{key}: no English text"
        assert es.strip(), f"{key}: no Spanish text"
    assert placeholders(en) == placeholders(es), f"{key}: placeholders differ"
    values = dummy(en)
    rendered_en, rendered_es = t(key, "en", **values), t(key, "es", **values)  # both format
    if key not in SAME_IN_BOTH and key not in EMPTY_ALLOWED:
        assert rendered_en != rendered_es, f"{key}: the Spanish text is the English one"


def test_same_in_both_is_not_stale() -> None:
    assert SAME_IN_BOTH <= set(STRINGS)
    assert all(STRINGS[k][0] == STRINGS[k][1] for k in SAME_IN_BOTH)


def _keys_named_in_code() -> dict[str, list[str]]:
    """Catalogue-like string literals in the code ("sec.busy"), with where they are."""
    prefixes = {k.split(".", 1)[0] for k in STRINGS}
    families = "|".join(sorted(prefixes))
    literal = re.compile(r"""["']((?:""" + families + r""")\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)["']""")
    found: dict[str, list[str]] = {}
    for folder in ("wizard", "steps", "lab"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "i18n.py":
                continue
            text = path.read_text(encoding="utf-8")
            for m in literal.finditer(text):
                key = m.group(1)
                before = text[max(0, m.start() - 2):m.start()]
                if before.endswith("f"):  # an f-string: a key family, checked by its own test
                    continue
                found.setdefault(key, []).append(f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}")
    return found


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    named = _keys_named_in_code()
    assert len(named) > 200  # the scan finds the code's keys (not an empty pass)
    # Literals that look like keys but are something else (a file name, a module path, an action id).
    not_keys = {k for k in named if k.endswith((".py", ".json", ".toml", ".lock", ".sh", ".md", ".cfg", ".tcss"))
                or k.startswith(("ansible.builtin.", "app.focus_", "screen."))}
    missing = {k: where for k, where in named.items() if k not in STRINGS and k not in not_keys}
    plausible = {k: w for k, w in missing.items() if not re.search(r"\.(master|standby|cluster\d|local)$", k)}
    assert not plausible, plausible


def test_key_families_built_at_run_time_are_complete() -> None:
    from wizard.base.answers import Answers
    from wizard.base.fields import inventory_fields
    from wizard.session.state import STATUSES

    for status in (*STATUSES, "interrupted"):
        assert f"status.{status}" in STRINGS
    for status in ("new", "in progress", "failed", "interrupted", "done", "unreadable"):
        assert f"sstatus.{status}" in STRINGS
    for spec in inventory_fields(Answers()):
        assert spec.label_key in STRINGS, spec.label_key


def test_msg_carries_both_languages_and_nests() -> None:
    inner = msg("eng.exit_status", code=3)
    outer = msg("eng.node_error", node="master", error=inner)
    assert (outer.en, outer.es) == ("master: exit status 3", "master: código de salida 3")
    assert str(outer) == outer.en and outer.get("es") == outer.es
    joined = Msg.join([outer, Msg.raw("x")])
    assert joined.es == "master: código de salida 3; x"


# -- what reaches a Spanish screen from outside the catalogue's keys (issue 21) -------------------------------------
def test_every_figure_a_real_run_measures_has_words() -> None:
    """Figure names, labels and units come from the measuring scripts (`one_and_one_serving`, `server=cluster4`,
    `requests`): each one a whole-guide run on the lab recorded (tests/data/sessions) is said in both languages."""
    import json

    from wizard.ui.widgets.figures import figure_name, label_words, unit_words

    state = json.loads((ROOT / "tests" / "data" / "sessions" / "lab-guide.json").read_text())
    figures = [f for rec in state["actions"].values() for f in rec.get("figures", [])]
    names = {f["name"] for f in figures}
    assert {"director_failover", "one_and_one_serving", "requests", "ab_rps", "siege_mean_ms"} <= names
    for name in names:
        assert f"fig.name.{name}" in STRINGS, name
        assert "_" not in figure_name(name, "es"), name
    for key in {k for f in figures for k in f["labels"]} - {"node"}:
        assert f"fig.label.{key}" in STRINGS, key
        assert f"{key}=" not in label_words({key: "x"}, "es")
    for unit in {f["unit"] for f in figures}:
        assert unit in ("", "s", "ms", "%") or f"fig.unit.{unit}" in STRINGS, unit
    assert unit_words("requests", "es") == "peticiones"


def test_the_command_palette_has_words_for_every_key_it_shows() -> None:
    from textual.command import CommandPalette

    from wizard.ui.screens.base import TEXTUAL_ACTIONS

    for binding in CommandPalette.BINDINGS:
        action = getattr(binding, "action", None) or binding[1]  # type: ignore[index]
        assert action in TEXTUAL_ACTIONS and TEXTUAL_ACTIONS[action] in STRINGS, action
    assert t("palette.placeholder", "es") != t("palette.placeholder", "en")


def test_os_and_ssh_errors_have_a_spanish_gloss_with_the_original_beside() -> None:
    import errno
    import os

    from wizard.run.errors import _ERRNO_KEYS, reason_of

    for name in _ERRNO_KEYS:
        code = getattr(errno, name)
        said = reason_of(OSError(code, os.strerror(code)))
        assert said.en == os.strerror(code), name
        assert said.es.endswith(f"({os.strerror(code)})") and not said.es.startswith(os.strerror(code)), said.es


def test_export_file_names_and_the_scripts_prompts_are_in_the_catalogue() -> None:
    from steps import full_plan
    from steps.access import PUBLIC_KEY
    from steps.profiles import get_profile
    from wizard.base.answers import PROFILES, Answers
    from wizard.exports.transcript import FORMATS

    for fmt in FORMATS:
        for lang in ("es", "en"):
            assert t(f"export.file_{fmt}", lang, name="ana").startswith("ana-")
            assert t(f"export.file_{fmt}", lang, name="ana").endswith(f".{fmt}")
        assert t(f"export.file_{fmt}", "es", name="ana") != t(f"export.file_{fmt}", "en", name="ana")
    secrets = {n for p in PROFILES for _, acts in full_plan(Answers(profile=p), get_profile(p)) for a in acts
               for n in a.secrets} | {"ssh_password"}
    for name in secrets - {PUBLIC_KEY}:  # the public key is written in the script, never asked
        assert f"secret.{name}" in STRINGS, name
    assert "{what}" in STRINGS["tr.sh.prompt"][1] and "{name}" not in STRINGS["tr.sh.prompt"][1]


def test_counts_are_said_with_their_plural_not_both_forms() -> None:
    """"1 vez/veces", "acción(es)", "problem(s)": a key with a count has a `.one` form instead."""
    from wizard.base.i18n import plural

    both = {k: v for k, pair in STRINGS.items() for v in pair if re.search(r"\w\((s|es)\)|\bvez/veces\b", v)}
    assert not both, both
    assert plural("tr.md.undos", 1) == "tr.md.undos.one" and plural("tr.md.undos", 2) == "tr.md.undos"
    assert t(plural("tr.md.undos", 1), "es", undos=1).endswith("1 vez")
    for key in STRINGS:
        if key.endswith(".one"):
            assert key[:-4] in STRINGS and placeholders(STRINGS[key][0]) == placeholders(STRINGS[key[:-4]][0]), key
