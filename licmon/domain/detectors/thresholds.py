"""Every detector threshold, as plain data (the settings of the same names fill it)."""

from dataclasses import dataclass

HOUR = 3600
DAY = 86400


@dataclass(frozen=True, slots=True)
class Thresholds:
    seat_overuse_refusals: int = 3
    seat_overuse_window_seconds: int = HOUR
    machine_sharing_window_seconds: int = DAY
    spread_window_seconds: int = DAY
    spread_networks_base: int = 4
    spread_networks_per_seat: int = 2
    spread_networks_per_asn: int = 3
    spread_asns_base: int = 4
    spread_asns_per_seat: int = 1
    travel_max_kmh: float = 900.0
    travel_max_accuracy_km: int = 200
    travel_min_km: float = 300.0
    clock_tolerance_seconds: int = DAY
    nonce_retry_seconds: int = 300
    nonce_window_seconds: int = DAY
    nonce_memory: int = 500_000
    dead_key_attempts: int = 6
    dead_key_window_seconds: int = DAY
    dead_key_retry_seconds: int = 600
    guess_host_threshold: int = 10
    guess_network_threshold: int = 40
    guess_window_seconds: int = 600
    guess_retry_base_seconds: int = 60
    guess_retry_max_seconds: int = HOUR
    guess_flag_strikes: int = 2
    detector_licenses: int = 100_000
    detector_machines_per_license: int = 256
    flag_refire_seconds: int = HOUR
    guess_shared_host_threshold: int = 30
    guess_asn_threshold: int = 400
    guess_malformed_weight: int = 3
    guess_campaign_threshold: int = 300
    guess_campaign_networks: int = 16
    guess_campaign_host_threshold: int = 4
    spread_seat_exponent: float = 0.5
    spread_seat_knee: int = 10
    clone_min_switches: int = 3
    clone_max_window_seconds: int = DAY
    clock_jump_seconds: int = 2 * HOUR
    clock_learn_samples: int = 3
    travel_pairs_per_license: int = 8
    anonymizer_signal_seconds: int = DAY
    travel_return_seconds: int = 3 * HOUR

    @property
    def longest_window(self) -> int:
        """How far back the windows reach: what a restart must read back from the store."""
        return max(
            self.seat_overuse_window_seconds,
            self.machine_sharing_window_seconds,
            self.spread_window_seconds,
            self.dead_key_window_seconds,
        )
