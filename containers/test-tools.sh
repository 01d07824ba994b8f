#!/usr/bin/env bash
# What the tests need besides Maven: the Prometheus Python client's text-format parser (Debian's
# python3-prometheus-client), which the metrics tests parse every scrape with, and the Python
# WebSocket library (python3-websockets), the independent client and upstream of the container
# stage's WebSocket checks. Installed with apt-get when missing and running as root (as CI does);
# otherwise the message says what to install.
# Maven runs this before the tests (pom.xml, exec-maven-plugin, id test-tools).
set -euo pipefail
has_tools() { /usr/bin/python3 -c 'import prometheus_client.parser, websockets' 2>/dev/null; }
has_tools && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "test-tools: installing python3-prometheus-client and python3-websockets with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get update -qq >/dev/null
  timeout 600 apt-get install -y -qq python3-prometheus-client python3-websockets >/dev/null
fi
has_tools || { echo "test-tools: the tests need /usr/bin/python3 with Debian's python3-prometheus-client and python3-websockets (apt-get install python3-prometheus-client python3-websockets)" >&2; exit 1; }
