#!/usr/bin/env bash
# What the tests need besides Maven: the Prometheus Python client's text-format parser (Debian's
# python3-prometheus-client), which the metrics tests parse every scrape with. Installed with
# apt-get when missing and running as root (as CI does); otherwise the message says what to install.
# Maven runs this before the tests (pom.xml, exec-maven-plugin, id test-tools).
set -euo pipefail
has_parser() { /usr/bin/python3 -c 'import prometheus_client.parser' 2>/dev/null; }
has_parser && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "test-tools: installing python3-prometheus-client with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get update -qq >/dev/null
  timeout 600 apt-get install -y -qq python3-prometheus-client >/dev/null
fi
has_parser || { echo "test-tools: the tests need /usr/bin/python3 with Debian's python3-prometheus-client (apt-get install python3-prometheus-client)" >&2; exit 1; }
