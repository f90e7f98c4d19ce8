"""The running node: the aiohttp application, its background workers, the worker
processes `serve` supervises, the app keys that inject resources, and metrics."""
