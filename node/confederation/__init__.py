"""Confederations: a protocol among peer nodes, not a hosted account.

The whole feature in one room: the charter and signed records (records), the pure
membership fold (membership), founding, governing and the mesh (governance), joining and
catching up (joining), aggregation (relay) and the per-cluster actors of a replica
(cluster_actors). Storage stays in node/storage/confederations.py, HTTP in node/web.
"""
