"""The user's preferences that outlive a session: the language and the app's theme.

One small TOML file in the platform's config folder (platformdirs: ~/.config/ha-wizard on Linux,
%APPDATA%\\ha-wizard on Windows, ~/Library/Application Support/ha-wizard on macOS), or
$HA_WIZARD_CONFIG_DIR. Reading never fails the program: a missing or damaged file means no
preference; a file that cannot be written is only a preference lost.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

PREFS_FILE = "settings.toml"
LANGS = ("es", "en")
THEMES = ("textual-dark", "textual-light")


@dataclass
class Prefs:
    lang: str = ""  # "" = none yet (the locale decides)
    theme: str = ""


def config_dir() -> Path:
    env = os.environ.get("HA_WIZARD_CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("ha-wizard", appauthor=False))


def load_prefs() -> Prefs:
    try:
        data = tomllib.loads((config_dir() / PREFS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return Prefs()
    lang = data.get("lang", "")
    theme = data.get("theme", "")
    return Prefs(lang=lang if lang in LANGS else "", theme=theme if theme in THEMES else "")


def save_prefs(prefs: Prefs) -> bool:
    """Write the preferences; False when they could not be written (the program goes on)."""
    import tomli_w

    folder = config_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{PREFS_FILE}.tmp"
        tmp.write_text(tomli_w.dumps({k: v for k, v in asdict(prefs).items() if v}), encoding="utf-8")
        os.replace(tmp, folder / PREFS_FILE)
    except OSError:
        return False
    return True


def remember(**values: str) -> Prefs:
    """Update some preferences and save them all; returns what is now stored."""
    prefs = load_prefs()
    for key, value in values.items():
        setattr(prefs, key, value)
    save_prefs(prefs)
    return prefs


def user_lang(explicit: str | None = None) -> str:
    """The language to speak: the one asked for (--lang), else the one last chosen, else the locale's."""
    from wizard.base.i18n import default_lang

    return explicit or load_prefs().lang or default_lang()
