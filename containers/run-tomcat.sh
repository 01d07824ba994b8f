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
# Tomcat runs from a fresh CATALINA_BASE, target/containers/run/tomcat-PORT/ (as RUNNING.txt describes for
# several instances): CATALINA_HOME stays as unpacked, conf/ is the distribution's conf/ copied
# unchanged except in server.xml, where only two things change, both needed to run in CI:
#   - <Server port="8005">  -> port="-1": no shutdown port (nothing listens on 8005; this script family
#                              stops Tomcat by PID, and two runs never collide on 8005);
#   - <Connector port="8080" protocol="HTTP/1.1"> -> port=PORT address="127.0.0.1".
# webapps/ holds only the gateway's WAR (none of the distribution's ROOT, docs, examples, manager).
set -euo pipefail
source "$(dirname "$0")/common.sh"

[ $# -eq 3 ] || [ $# -eq 4 ] || die "usage: containers/run-tomcat.sh WAR WEBXML PORT [CONTEXT]"
WAR="$(realpath "$1")"; WEBXML="$2"; PORT="$3"; CONTEXT="${4:-/}"
[ "$WEBXML" = "-" ] || WEBXML="$(realpath "$WEBXML")"
require_port "$PORT"
START_TIMEOUT="${START_TIMEOUT:-90}"

# Context path -> WAR name (Tomcat's naming: "" is ROOT, "/a/b" is a#b).
CONTEXT="/${CONTEXT#/}"; CONTEXT="${CONTEXT%/}"
case "$CONTEXT" in
  *[!A-Za-z0-9/._-]*) die "context path '$CONTEXT' may only use letters, digits, '/', '.', '_' and '-'" ;;
esac
if [ -z "$CONTEXT" ]; then WAR_NAME=ROOT; else WAR_NAME="${CONTEXT#/}"; WAR_NAME="${WAR_NAME//\//#}"; fi

[ -x "$CATALINA_HOME/bin/catalina.sh" ] || "$REPO/containers/fetch.sh" >&2
listening "$PORT" && die "something already listens on 127.0.0.1:$PORT"

BASE="$RUN_DIR/tomcat-$PORT"
rm -rf "$BASE"
mkdir -p "$BASE/conf" "$BASE/webapps" "$BASE/logs" "$BASE/temp" "$BASE/work"
cp -p "$CATALINA_HOME/conf/"* "$BASE/conf/"
SERVER_XML="$BASE/conf/server.xml"
if ! grep -q '<Server port="8005" shutdown="SHUTDOWN">' "$SERVER_XML" \
   || ! grep -q '<Connector port="8080" protocol="HTTP/1.1"' "$SERVER_XML"; then
  die "$CATALINA_HOME/conf/server.xml is not the stock one this script knows how to change"
fi
sed -i -e 's|<Server port="8005" shutdown="SHUTDOWN">|<Server port="-1" shutdown="SHUTDOWN">|' \
       -e "s|<Connector port=\"8080\" protocol=\"HTTP/1.1\"|<Connector port=\"$PORT\" address=\"127.0.0.1\" protocol=\"HTTP/1.1\"|" \
       "$SERVER_XML"
war_with_webxml "$WAR" "$WEBXML" "$BASE/webapps/$WAR_NAME.war"
LOG="$BASE/logs/catalina.out"

PID=
READY=
cleanup() { [ -n "$READY" ] || stop_pid "$PID"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting Tomcat $TOMCAT_VERSION on 127.0.0.1:$PORT, context '${CONTEXT:-/}' (CATALINA_BASE $BASE, log $LOG)"
# `catalina.sh run` execs the JVM in the foreground, so $! is Tomcat's own PID.
(
  export CATALINA_HOME CATALINA_BASE="$BASE" CATALINA_TMPDIR="$BASE/temp"
  exec "$CATALINA_HOME/bin/catalina.sh" run
) >"$LOG" 2>&1 </dev/null &
PID=$!
echo "$PID" >"$BASE/tomcat.pid"

# Tomcat stays up when a context fails to start (it then answers 404 for it): catch that in the log.
FAIL_RE="Context \\[${CONTEXT}\\] startup failed|Error (deploying|starting) .*${WAR_NAME}"
if ! wait_ready "$PID" "http://127.0.0.1:$PORT$CONTEXT/__gatewar/ready" "$LOG" "$START_TIMEOUT" "$FAIL_RE"; then
  for f in "$BASE"/logs/localhost.*.log; do
    [ -f "$f" ] && { log "from $f:"; grep -v '^[[:space:]]*at ' "$f" | tail -n 20 >&2; }
  done
  exit 1
fi
READY=1
log "Tomcat is up: PID $PID"
echo "pid=$PID"
echo "log=$LOG"
echo "url=http://127.0.0.1:$PORT$CONTEXT"
