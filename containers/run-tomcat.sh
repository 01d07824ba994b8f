#!/usr/bin/env bash
# Start the Tomcat 11 distribution (target/containers/apache-tomcat-$TOMCAT_VERSION) with one WAR, on
# 127.0.0.1:PORT, and wait until the gateway answers.
#
#   containers/run-tomcat.sh WAR WEBXML PORT [CONTEXT]
#     WAR      the WAR to deploy, unmodified (e.g. target/gatewar.war)
#     WEBXML   a web.xml to deploy the WAR with (a copy of WAR with it as WEB-INF/web.xml is made),
#              or "-" to deploy WAR exactly as it is
#     PORT     HTTP port on 127.0.0.1
#     CONTEXT  context path: "/" (default: webapps/ROOT.war, routes at /serviceA/...) or e.g. "/gw"
#              (webapps/gw.war, routes at /gw/serviceA/...)
#
# On success it prints, on stdout:  pid=PID  log=LOG  url=http://127.0.0.1:PORT/CONTEXT
# and leaves Tomcat running; stop it with `kill PID` (SIGTERM: Tomcat's shutdown hook stops it
# cleanly). On failure (the context fails to start, Tomcat exits, or no answer within
# $START_TIMEOUT s) it stops what it started, prints the log and exits 1.
#
# Tomcat runs from a fresh CATALINA_BASE, target/containers/run/tomcat-PORT/, whose conf/ is the
# distribution's with two changes in server.xml (prepare_tomcat in lib.sh says which and why) and
# the access log's own file in logging.properties (tomcat_access_log_file);
# webapps/ holds only the gateway's WAR (none of the distribution's ROOT, docs, examples, manager).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || [ $# -eq 4 ] || die "usage: containers/run-tomcat.sh WAR WEBXML PORT [CONTEXT]"
WAR="$(realpath "$1")"; WEBXML="$2"; PORT="$3"; CONTEXT="${4:-/}"
[ "$WEBXML" = "-" ] || WEBXML="$(realpath "$WEBXML")"
require_port "$PORT"

# Context path -> WAR name (Tomcat's naming: "" is ROOT, "/a/b" is a#b).
CONTEXT="/${CONTEXT#/}"; CONTEXT="${CONTEXT%/}"
case "$CONTEXT" in
  *[!A-Za-z0-9/._-]*) die "context path '$CONTEXT' may only use letters, digits, '/', '.', '_' and '-'" ;;
esac
if [ -z "$CONTEXT" ]; then WAR_NAME=ROOT; else WAR_NAME="${CONTEXT#/}"; WAR_NAME="${WAR_NAME//\//#}"; fi
! listening "$PORT" || die "something already listens on 127.0.0.1:$PORT"

BASE="$RUN_DIR/tomcat-$PORT"
prepare_tomcat "$BASE" "$PORT"
# The access log in logs/gatewar-access.DATE.log, not in catalina.out (lib.sh, README.md's recipe).
tomcat_access_log_file "$BASE"
war_with_webxml "$WAR" "$WEBXML" "$BASE/webapps/$WAR_NAME.war"
log "starting Tomcat $TOMCAT_VERSION on 127.0.0.1:$PORT, context '${CONTEXT:-/}' (CATALINA_BASE $BASE)"
if ! serve_gateway "$BASE" "$BASE/logs/catalina.out" "http://127.0.0.1:$PORT$CONTEXT" \
    "$(tomcat_failure_regex "$CONTEXT" "$WAR_NAME")"; then
  # The servlet's own message is in Tomcat's localhost log, not in catalina.out.
  for f in "$BASE"/logs/localhost.*.log; do
    [ -f "$f" ] && { log "from $f:"; grep -v '^[[:space:]]*at ' "$f" | tail -n 20 >&2; }
  done
  exit 1
fi
