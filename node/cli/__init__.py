"""The movement-node command line (`movement-node` = main)."""

from node.cli.main import main

__all__ = ["main"]
