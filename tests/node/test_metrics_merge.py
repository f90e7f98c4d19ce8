"""merge_expositions: another process's counters and histograms are added sample by sample;
gauges stay this process's."""

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.parser import text_string_to_metric_families

from node.runtime.metrics import merge_expositions


def _process(delivered: int, gone: int, latency: float, depth: int) -> bytes:
    registry = CollectorRegistry()
    deliveries = Counter("movement_deliveries", "d", ["outcome"], registry=registry)
    deliveries.labels("delivered").inc(delivered)
    if gone:
        deliveries.labels("gone").inc(gone)
    Histogram("lat", "l", registry=registry).observe(latency)
    Gauge("depth", "q", registry=registry).set(depth)
    return generate_latest(registry)


def _values(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
        if not s.name.endswith("_created")
    }


def test_counters_and_histograms_add_up_and_gauges_stay_ours() -> None:
    merged = _values(
        merge_expositions(
            _process(delivered=3, gone=0, latency=0.2, depth=7),
            [_process(delivered=5, gone=2, latency=3.0, depth=9).decode()],
        )
    )
    assert merged[("movement_deliveries_total", (("outcome", "delivered"),))] == 8
    assert merged[("movement_deliveries_total", (("outcome", "gone"),))] == 2
    assert merged[("lat_count", ())] == 2
    assert merged[("lat_sum", ())] == 3.2
    assert merged[("lat_bucket", (("le", "0.25"),))] == 1
    assert merged[("lat_bucket", (("le", "+Inf"),))] == 2
    assert merged[("depth", ())] == 7


def test_nothing_from_others_leaves_ours_as_it_was() -> None:
    ours = _process(delivered=3, gone=1, latency=0.2, depth=7)
    assert _values(merge_expositions(ours, [])) == _values(ours)
