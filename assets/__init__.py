"""Templates the sections render (jinja2, StrictUndefined) and shipped as package data.

`render(name, **ctx)` is the only entry point: a missing variable is an error, never an empty
string, so a template can't silently write a half-filled config file.
"""

from __future__ import annotations

import shlex
from functools import cache
from typing import Any

import jinja2


@cache
def environment() -> jinja2.Environment:
    # PackageLoader reads through importlib.resources, so it works from a wheel or a zip too.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("assets", "."),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,  # files end with a newline, as editors write them
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # config files and PHP, not HTML pages built from untrusted input
    )
    # `{{ value | sh }}`: one word for a POSIX shell, for files a shell sources (ifcfg). Plain values
    # (enp0s3, 10.0.100.1) print unchanged, so the files read as the guide's.
    env.filters["sh"] = shlex.quote
    # The same under Ansible's name (ansible.builtin.quote is shlex.quote too): the Ansible export renders these
    # templates with Ansible's own engine, so they use only what both provide.
    env.filters["quote"] = shlex.quote
    return env


def render(name: str, **ctx: Any) -> str:
    """Render template `name` (e.g. "haproxy.cfg.j2") with `ctx`; raises on any missing variable."""
    return environment().get_template(name).render(**ctx)
