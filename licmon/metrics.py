"""Prometheus metrics, one registry per app. Labels are low-cardinality words only:
never a key, address, machine, license, user or organization."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from licmon import __version__

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
UNKNOWN_PRODUCT = "unknown"


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.checkins = Counter(
            "licmon_checkins",
            "Check-ins answered, by product and outcome.",
            ["product", "outcome"],
            registry=r,
        )
        self.denials = Counter(
            "licmon_checkin_denials",
            "Check-ins refused, by product and reason.",
            ["product", "reason"],
            registry=r,
        )
        self.checkin_duration = Histogram(
            "licmon_checkin_duration_seconds",
            "Time to answer a check-in, commit included.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.releases = Counter(
            "licmon_releases", "Seat releases answered, by outcome.", ["outcome"], registry=r
        )
        self.invalid_keys = Counter(
            "licmon_invalid_key_attempts",
            "Check-ins or releases with an unknown key.",
            registry=r,
        )
        self.commit_seconds = Histogram(
            "licmon_store_commit_seconds",
            "Time the single writer takes to commit one batch.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "licmon_store_batch_size",
            "Commands committed together in one batch.",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "licmon_store_queue_depth", "Commands waiting for the single writer.", registry=r
        )
        self.licenses = Gauge("licmon_licenses", "Licenses in the in-memory key index.", registry=r)
        self.bad_requests = Counter(
            "licmon_http_client_errors",
            "API requests refused as malformed, by status.",
            ["status"],
            registry=r,
        )
        Info("licmon_build", "licmon build information.", registry=r).info({"version": __version__})

    def observe_batch(self, size: int, seconds: float) -> None:
        """Called from the writer thread after each commit."""
        self.batch_size.observe(size)
        self.commit_seconds.observe(seconds)
