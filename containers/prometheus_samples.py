#!/usr/bin/python3
"""Reads a Prometheus text-format exposition on stdin and prints its samples as JSON, one list of
{"name", "labels", "value"} objects, parsed by the Prometheus Python client's own parser (Debian's
python3-prometheus-client): what the tests and CI assert on is what a Prometheus-compatible reader
sees, not what a regular expression guesses."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def samples(text):
    out = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            value = sample.value if math.isfinite(sample.value) else str(sample.value)
            out.append({"name": sample.name, "labels": dict(sample.labels), "value": value})
    return out


if __name__ == "__main__":
    json.dump(samples(sys.stdin.read()), sys.stdout)
