"""Prometheus metrics, one registry per app. Labels are low-cardinality words only:
never a key, address, machine, license, user or organization.

Every metric licmon exports is declared here (``Metrics``); other parts call its methods
(``flag_raised``, ``retention_succeeded``, ...) rather than making metrics of their own.
Gauges that need the database (seats per product, database size) are read from a snapshot
that ``licmon.gauges`` refreshes off the event loop: a scrape never queries the store.
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from licmon import __version__
from licmon.store.base import StoreGauges

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
UNKNOWN_PRODUCT = "unknown"
OTHER = "other"
_WORD = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_TIMESTAMPED = ("counter", "histogram", "summary", "gaugehistogram")


LOGIN_OUTCOMES = ("success", "failure")


def word(value: str) -> str:
    """A label value as a low-cardinality word; anything else becomes 'other'."""
    return value if _WORD.fullmatch(value) else OTHER


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self._checkin_metrics(r)
        self._store_metrics(r)
        self._http_metrics(r)
        self._flag_metrics(r)
        self._privacy_metrics(r)
        self._geoip_metrics(r)
        self._webhook_metrics(r)
        self.snapshot = SnapshotCollector(r)
        Info("licmon_build", "licmon build information.", registry=r).info({"version": __version__})
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=r)

    def _checkin_metrics(self, r: CollectorRegistry) -> None:
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
        self.throttled_requests = Counter(
            "licmon_throttled", "Requests answered 429 (key guessing throttle).", registry=r
        )
        self.licenses = Gauge("licmon_licenses", "Licenses in the in-memory key index.", registry=r)

    def _store_metrics(self, r: CollectorRegistry) -> None:
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
        self.gauge_refresh_errors = Counter(
            "licmon_gauge_refresh_errors",
            "Failed refreshes of the database-backed gauges, by source.",
            ["source"],
            registry=r,
        )

    def _http_metrics(self, r: CollectorRegistry) -> None:
        self.bad_requests = Counter(
            "licmon_http_client_errors",
            "API requests refused as malformed, by status.",
            ["status"],
            registry=r,
        )
        self.http_requests = Counter(
            "licmon_http_requests",
            "HTTP requests answered, by route and status code.",
            ["handler", "code"],
            registry=r,
        )
        self.http_duration = Histogram(
            "licmon_http_request_duration_seconds",
            "Time to answer an HTTP request, by route.",
            ["handler"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )

    def _webhook_metrics(self, r: CollectorRegistry) -> None:
        self.webhook_deliveries = Counter(
            "licmon_webhook_deliveries",
            "Webhook delivery attempts, by outcome: delivered, retried, failed (given up).",
            ["outcome"],
            registry=r,
        )
        self.webhook_backlog = Gauge(
            "licmon_webhook_deliveries_stored",
            "Webhook deliveries kept, by status (pending, delivered, failed).",
            ["status"],
            registry=r,
        )

    def webhook_attempted(self, outcome: str) -> None:
        self.webhook_deliveries.labels(word(outcome)).inc()

    def set_webhook_backlog(self, counts: Mapping[str, int]) -> None:
        for status, count in counts.items():
            self.webhook_backlog.labels(word(status)).set(count)

    def _flag_metrics(self, r: CollectorRegistry) -> None:
        self.flags_raised = Counter(
            "licmon_flags_raised",
            "Abuse flags raised (or re-raised), by kind and severity.",
            ["kind", "severity"],
            registry=r,
        )
        self.detector_observations = Counter(
            "licmon_detector_observations_received",
            "Several nodes: the other nodes' detector observations this node has fed to its "
            "detectors.",
            registry=r,
        )
        self.flags_open = Gauge(
            "licmon_flags_open", "Flags in status open, by kind.", ["kind"], registry=r
        )
        self.flags_open_by_severity = Gauge(
            "licmon_flags_open_by_severity",
            "Flags in status open, by severity.",
            ["severity"],
            registry=r,
        )

    def _privacy_metrics(self, r: CollectorRegistry) -> None:
        self.retention_rows = Counter(
            "licmon_retention_rows",
            "Connection-log rows handled by the retention job, by action.",
            ["action"],
            registry=r,
        )
        self.retention_last_success = Gauge(
            "licmon_retention_last_success_timestamp_seconds",
            "When the retention job last finished successfully (Unix time; 0: never).",
            registry=r,
        )
        self.staff_logins = Counter(
            "licmon_staff_logins",
            "Staff login attempts: success or failure (the reason is in the audit log only).",
            ["outcome"],
            registry=r,
        )
        for outcome in LOGIN_OUTCOMES:
            self.staff_logins.labels(outcome)
        self.personal_data_reads = Counter(
            "licmon_personal_data_reads",
            "Reads of personal data through the purpose gateway, by purpose.",
            ["purpose"],
            registry=r,
        )

    def _geoip_metrics(self, r: CollectorRegistry) -> None:
        self.geoip_lookups = Counter(
            "licmon_geoip_lookups",
            "GeoIP lookups, by database and result.",
            ["database", "result"],
            registry=r,
        )
        self.geoip_build = Gauge(
            "licmon_geoip_database_build_timestamp_seconds",
            "Build time of each loaded GeoIP database (Unix time).",
            ["database"],
            registry=r,
        )

    # -- called by the store, the flag detectors, GeoIP, retention and the staff console
    def observe_batch(self, size: int, seconds: float) -> None:
        """Called from the writer thread after each commit."""
        self.batch_size.observe(size)
        self.commit_seconds.observe(seconds)

    def throttled(self) -> None:
        self.throttled_requests.inc()

    def flag_raised(self, kind: str, severity: str) -> None:
        self.flags_raised.labels(word(kind), word(severity)).inc()

    def set_open_flags(self, by_kind: Mapping[str, int], by_severity: Mapping[str, int]) -> None:
        """Replace the open-flag gauges with counts read from the store (off the loop)."""
        _replace(self.flags_open, by_kind)
        _replace(self.flags_open_by_severity, by_severity)

    def geoip_lookup(self, database: str, result: str) -> None:
        self.geoip_lookups.labels(word(database), word(result)).inc()

    def geoip_database_loaded(self, database: str, built_at: float) -> None:
        self.geoip_build.labels(word(database)).set(built_at)

    def geoip_database_unloaded(self, database: str) -> None:
        self.geoip_build.remove(word(database))

    def retention_rows_handled(self, action: str, count: int) -> None:
        self.retention_rows.labels(word(action)).inc(count)

    def retention_succeeded(self, at: float) -> None:
        """Call after each successful run, and at start-up with the last recorded success,
        so that a restart does not make the job look overdue."""
        self.retention_last_success.set(at)

    def staff_login(self, outcome: str) -> None:
        """Only success or failure: an unauthenticated scrape must not tell an unknown
        account from a locked or disabled one."""
        self.staff_logins.labels("success" if outcome == "success" else "failure").inc()

    def personal_data_read(self, purpose: str) -> None:
        self.personal_data_reads.labels(word(purpose)).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus text format, without the ``_created`` series."""
        return generate_latest(_WithoutCreated(self.registry))


def _replace(gauge: Gauge, values: Mapping[str, int]) -> None:
    gauge.clear()
    for label, value in values.items():
        gauge.labels(word(label)).set(value)


class _WithoutCreated:
    """Drops the ``_created`` samples of one registry (the library's switch is global)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():
            if family.type in _TIMESTAMPED:
                created = family.name + "_created"
                family.samples = [s for s in family.samples if s.name != created]
            yield family


class SnapshotCollector(Collector):
    """Scrape-time gauges from the last store snapshot: reads memory, never the database."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.gauges = StoreGauges()
        self.refreshed_at = 0.0
        registry.register(self)

    def update(self, gauges: StoreGauges, at: float) -> None:
        self.gauges = gauges
        self.refreshed_at = at

    def describe(self) -> Iterable[Metric]:
        return self._families(StoreGauges(), 0.0)

    def collect(self) -> Iterable[Metric]:
        return self._families(self.gauges, self.refreshed_at)

    @staticmethod
    def _families(gauges: StoreGauges, at: float) -> list[Metric]:
        in_use = _product_family("licmon_seats_in_use", "Seats held now, by product.")
        licensed = _product_family(
            "licmon_seats_licensed", "Seats of active, valid licenses, by product."
        )
        full = _product_family(
            "licmon_licenses_full", "Active licenses with every seat taken, by product."
        )
        held = GaugeMetricFamily(
            "licmon_seats_away",
            "Seats of in_use borrowed or activated offline, by product and kind.",
            labels=["product", "kind"],
        )
        for row in gauges.products:
            held.add_metric([word(row.product), "borrowed"], row.borrowed)
            held.add_metric([word(row.product), "offline"], row.offline)
            in_use.add_metric([word(row.product)], row.in_use)
            licensed.add_metric([word(row.product)], row.licensed)
            full.add_metric([word(row.product)], row.full_licenses)
        size = GaugeMetricFamily(
            "licmon_database_bytes", "Size of the database and its WAL.", gauges.database_bytes
        )
        stamp = GaugeMetricFamily(
            "licmon_gauges_refreshed_timestamp_seconds",
            "When the database-backed gauges were last refreshed (Unix time).",
            at,
        )
        return [in_use, licensed, full, held, size, stamp]


def _product_family(name: str, documentation: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=["product"])
