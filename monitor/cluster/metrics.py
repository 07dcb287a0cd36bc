"""cluster.metrics: what a node adds to its own /metrics. Each node serves its own endpoint
(Prometheus tells them apart by target); ``monitor_node_info`` names the node and its role so
that the figures can be joined to ``monitor status``'s nodes."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ClusterMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.info = Gauge(
            "monitor_node_info", "This node (always 1): its id, host, pid and role",
            ["node", "host", "pid", "role"], registry=registry,
        )  # fmt: skip
        self.live_nodes = Gauge(
            "monitor_cluster_nodes_alive", "Nodes alive at this node's last heartbeat",
            registry=registry,
        )  # fmt: skip
        self.leased = Gauge(
            "monitor_feeds_polling", "Feeds this node holds a lease on now", registry=registry
        )
        self.polls = Counter(
            "monitor_leased_polls", "Polls this node ran on a lease", registry=registry
        )
        self.lost = Counter(
            "monitor_leases_lost", "Polls whose lease another node took before they ended",
            registry=registry,
        )  # fmt: skip
        self.terms = Counter(
            "monitor_role_terms", "Times this node was elected to a role", ["role"],
            registry=registry,
        )  # fmt: skip

    def describe(self, node: int, host: str, pid: int, role: str) -> None:
        self.info.clear()
        self.info.labels(str(node), host, str(pid), role).set(1)
