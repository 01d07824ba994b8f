#!/usr/bin/env bash
# Start the Jetty 12 distribution (target/containers/jetty-home-$JETTY_VERSION) with the base in
# jetty-base/ and one WAR at the root context, on 127.0.0.1:PORT, and wait until the gateway answers.
#
#   containers/run-jetty.sh WAR WEBXML PORT
#     WAR     the WAR to deploy, unmodified (e.g. target/gatewar.war)
#     WEBXML  a web.xml to deploy the WAR with (a copy of WAR with it as WEB-INF/web.xml is made in
#             target/containers/run/jetty-PORT/), or "-" to deploy WAR exactly as it is
#     PORT    HTTP port on 127.0.0.1
#
# On success it prints, on stdout:  pid=PID  log=LOG  url=http://127.0.0.1:PORT
# and leaves Jetty running; stop it with `kill PID` (SIGTERM: Jetty stops gracefully). On failure
# (the WAR's deployment fails, Jetty exits, or no answer within $START_TIMEOUT s) it stops what it
# started, prints the log's tail and exits 1.
#
# jetty-base/ is used in place and never written to: the WAR goes to a run directory given as
# jetty.deploy.webappsDir, temporary files to its tmp/. JETTY_LOGGING=logback runs a copy of the base
# in the run directory, base/, with jetty-base/logging-logback/ applied (the access log in
# base/logs/gatewar-access.log, the rest on stderr as before; conformance.sh does that).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || die "usage: containers/run-jetty.sh WAR WEBXML PORT"
WAR="$(realpath "$1")"; WEBXML="$2"; PORT="$3"
[ "$WEBXML" = "-" ] || WEBXML="$(realpath "$WEBXML")"
require_port "$PORT"
! listening "$PORT" || die "something already listens on 127.0.0.1:$PORT"

RUN="$RUN_DIR/jetty-$PORT"
prepare_jetty "$RUN" "$PORT"
war_with_webxml "$WAR" "$WEBXML" "$RUN/webapps/ROOT.war"
base="$JETTY_BASE"; [ "${JETTY_LOGGING:-jetty}" = jetty ] || base="$RUN/base (a copy with logging-logback)"
log "starting Jetty $JETTY_VERSION on 127.0.0.1:$PORT (base $base, run directory $RUN)"
serve_gateway "$RUN" "$RUN/jetty.log" "http://127.0.0.1:$PORT" ""
