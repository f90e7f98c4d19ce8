"""movement-node: the application (config, storage, actors, web, CLI)."""

__version__ = "0.1.0"
