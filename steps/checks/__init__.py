"""The check plan (split into modules in the next commit)."""

from steps.checks.plan import *  # noqa: F403
