"""CLI commands that administer local actors (filled in by the federation work)."""

from __future__ import annotations

import argparse
from typing import Any


def add_actor_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """Register actor sub-commands (group, cluster) on the main parser."""
