"""A small YAML emitter for the Ansible export: block style, safe quoting, lines that fit yamllint's width.

The wizard needs neither PyYAML nor Ansible to write a project: this writes dicts (in their order), lists and
scalars. Every string is double-quoted (a JSON string is a valid YAML double-quoted scalar), so no value is ever
read back as something else (`yes`, `0644`, `null`); `Unsafe` strings get Ansible's `!unsafe` tag (never
templated); a long string is folded over several lines with escaped line breaks, which YAML reads back
exactly; a multi-line string is a literal block when it reads well as one. `Commented` puts a comment at the end
of a key's line (ansible-lint's `# noqa` with its reason).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

WIDTH = 150  # under ansible-lint's yamllint default (160), room for the indentation
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class Unsafe(str):
    """A string Ansible must not template (emitted with the `!unsafe` tag): commands, regexes, file text."""


@dataclass(frozen=True)
class Commented:
    """A value whose key line ends with `# comment`."""

    value: Any
    comment: str


def _quoted_lines(text: str, first: str, indent: int) -> list[str]:
    """`first` + the double-quoted text, folded with escaped line breaks when the line would be too long.

    A continuation line's leading spaces are not part of the value, so a fold goes only before a character that
    is not a space (after a word and its spaces, where possible); the text before the fold keeps its trailing
    spaces (they precede an escaped break)."""
    pad = " " * (indent + 2)
    whole = first + json.dumps(text, ensure_ascii=False)
    if len(whole) <= WIDTH:
        return [whole]

    def enc(piece: str) -> str:
        return json.dumps(piece, ensure_ascii=False)[1:-1]

    # Words with their trailing spaces: each starts with a non-space (but the first, maybe); long ones in pieces.
    tokens: list[str] = []
    for word in re.findall(r"\s*\S+\s*|\s+", text):
        while len(enc(word)) > WIDTH // 2:
            cut = WIDTH // 4
            while cut < len(word) and word[cut] in " \t":
                cut += 1
            tokens.append(word[:cut])
            word = word[cut:]
        tokens.append(word)
    lines: list[str] = []
    line = first + '"'
    for token in tokens:
        piece = enc(token)
        if len(line) + len(piece) > WIDTH - 2 and line.strip() not in ('"', first.strip() + ' "') \
                and token[:1] not in " \t":
            lines.append(line + "\\")
            line = pad
        line += piece
    lines.append(line + '"')
    return lines


def _scalar_lines(value: Any, first: str, indent: int) -> list[str]:
    if isinstance(value, bool):
        return [first + ("true" if value else "false")]
    if isinstance(value, int | float):
        return [first + (str(int(value)) if float(value).is_integer() else repr(float(value)))]
    if value is None:
        return [first + "null"]
    text = str(value)
    tag = "!unsafe " if isinstance(value, Unsafe) else ""
    if "\n" in text and _reads_as_block(text):
        chomp = "+" if text.endswith("\n") else "-"
        body = text[:-1] if text.endswith("\n") else text
        pad = " " * (indent + 2)
        # An explicit indentation indicator: the first line may itself start with spaces.
        return [f"{first}{tag}|2{chomp}"] + [pad + line if line else "" for line in body.split("\n")]
    return _quoted_lines(text, first + tag, indent)


def _reads_as_block(text: str) -> bool:
    lines = text.split("\n")
    return (not re.search(r"[ \t]\n|[\t\r]", text) and all(len(line) < WIDTH - 20 for line in lines)
            and not text.endswith("\n\n"))


def _key(key: str) -> str:
    return key if _PLAIN_KEY.match(key) else json.dumps(key)


def emit(value: Any, indent: int = 0) -> list[str]:
    """YAML lines for `value` (dicts keep their order; lists of dicts in block style)."""
    pad = " " * indent
    if isinstance(value, dict):
        out: list[str] = []
        for key, item in value.items():
            comment = ""
            if isinstance(item, Commented):
                item, comment = item.value, f"  # {item.comment}"
            k = _key(key)
            if isinstance(item, dict | list) and item:
                out.append(f"{pad}{k}:{comment}")
                out += emit(item, indent + 2)
            elif isinstance(item, dict | list):
                out.append(f"{pad}{k}: {'{}' if isinstance(item, dict) else '[]'}{comment}")
            else:
                lines = _scalar_lines(item, f"{pad}{k}: ", indent)
                lines[0] += comment
                out += lines
        return out
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, dict) and item:
                inner = emit(item, indent + 2)
                out.append(f"{pad}- {inner[0].lstrip()}")
                out += inner[1:]
            else:
                out += _scalar_lines(item, f"{pad}- ", indent)
        return out
    return _scalar_lines(value, pad, indent)


def document(value: Any, header: list[str] = ()) -> str:  # type: ignore[assignment]
    """A whole YAML file: comment lines, `---`, the value."""
    import textwrap

    lines = [part for line in header for part in (textwrap.wrap(line, 116) or [""])]
    return "".join(f"# {line}\n" if line else "#\n" for line in lines) + "---\n" + "\n".join(emit(value)) + "\n"
