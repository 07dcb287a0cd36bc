"""cluster: several nodes of one monitor over one PostgreSQL.

``node`` registers and heartbeats this process; ``dispatcher`` polls the feeds it leases;
``election`` runs the roles one node at a time leads. Every SQL statement is in
``monitor/store/cluster.py`` and ``monitor/store/leases.py``.
"""
