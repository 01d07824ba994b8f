# containers/lib.sh: the shell helpers of containers/*.sh and bench/run (sourced, never run).
# Bash; the caller has `set -euo pipefail`. Every process a helper starts is the caller's to stop, by
# PID (stop_pid, stop_group); every wait polls with a deadline.
# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this file

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG_TAG="${LOG_TAG:-containers}"

# log MESSAGE: one line on stderr (stdout is for what a script prints on purpose), with the time.
log() { printf '[%s %s] %s\n' "$LOG_TAG" "$(date +%T)" "$*" >&2; }
# die MESSAGE: log it and exit 1 (from a $(...), only that subshell: its caller's set -e does the rest).
die() { log "error: $*"; exit 1; }

# pom_property NAME: the text of <NAME> in pom.xml's <properties>, where every version is pinned
# (read as text: `mvn help:evaluate` takes seconds).
pom_property() {
  local value
  value="$(awk -v open="<$1>" '
    /<properties>/ { inside = 1 }
    /<\/properties>/ { inside = 0 }
    inside && (i = index($0, open)) { rest = substr($0, i + length(open)); print substr(rest, 1, index(rest, "<") - 1); exit }
  ' "$REPO/pom.xml")"
  value="${value//[[:space:]]/}"
  [ -n "$value" ] || die "no <$1> in the <properties> of $REPO/pom.xml"
  echo "$value"
}

# The distributions the WAR is checked on, fetched from Maven Central by fetch_containers: the pom's
# versions (the WAR's Jetty client is jetty.version too), unless the environment names others.
JETTY_VERSION="${JETTY_VERSION:-$(pom_property jetty.version)}"
TOMCAT_VERSION="${TOMCAT_VERSION:-$(pom_property tomcat.version)}"

OUT_DIR="$REPO/target/containers"
RUN_DIR="$OUT_DIR/run"
JETTY_HOME="$OUT_DIR/jetty-home-$JETTY_VERSION"
CATALINA_HOME="$OUT_DIR/apache-tomcat-$TOMCAT_VERSION"
JETTY_BASE="$REPO/jetty-base"
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

# --- ports ------------------------------------------------------------------------------------------

# require_port PORT: dies unless PORT is a number in 1024-65535 (nothing here runs as a privileged port).
require_port() {
  case "$1" in
    ''|*[!0-9]*) die "port '$1' is not a number" ;;
  esac
  if [ "$1" -lt 1024 ] || [ "$1" -gt 65535 ]; then die "port $1 is out of range 1024-65535"; fi
}

# listening PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# --- processes --------------------------------------------------------------------------------------

# launch DIR LOG COMMAND...: COMMAND in the background, in DIR, output to LOG, no stdin; sets
# STARTED_PID. COMMAND is exec'd (so is a prefix such as `taskset -c 0` or `env`, and catalina.sh
# run execs its JVM): STARTED_PID is the server's own PID, which stop_pid then stops.
launch() {
  local dir="$1" logfile="$2"
  shift 2
  (cd "$dir" && exec "$@") >"$logfile" 2>&1 </dev/null &
  STARTED_PID=$!
}

# stop_process TARGET LIMIT: SIGTERM to TARGET (PID, or -PGID for a process group; both containers
# stop gracefully on it), poll until it is gone, SIGKILL after LIMIT seconds, reap it.
stop_process() {
  local target="$1" limit="$2" deadline
  kill -0 -- "$target" 2>/dev/null || return 0
  kill -TERM -- "$target" 2>/dev/null || return 0
  deadline=$((SECONDS + limit))
  while kill -0 -- "$target" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$target still running ${limit}s after SIGTERM; sending SIGKILL"
      kill -KILL -- "$target" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  # Reap it when it is our child (a group: its leader), so no zombie is left behind.
  wait "${target#-}" 2>/dev/null || true
}

# stop_pid PID [SECONDS]: stop_process for one PID this script family started; "" does nothing.
stop_pid() {
  [ -z "$1" ] || stop_process "$1" "${2:-30}"
}

# stop_group PGID [SECONDS]: the same for the process group a script started with setsid (its
# leader has PID PGID): every process in it gets the signal.
stop_group() {
  [ -z "$1" ] || stop_process "-$1" "${2:-30}"
}

# --- readiness --------------------------------------------------------------------------------------

# http_probe URL: prints "STATUS REQUEST_ID" of a GET (REQUEST_ID "-" when the response has no
# X-Request-Id, i.e. it was not answered by the gateway's code); prints nothing when nothing answers.
http_probe() {
  { curl -s -o /dev/null --max-time 5 -D - "$1" 2>/dev/null || true; } | tr -d '\r' | awk '
    NR == 1 { status = $2 }
    tolower($1) == "x-request-id:" { id = $2 }
    END { if (status != "") print status, (id == "" ? "-" : id) }'
}

# gateway_answers URL: true when the gateway itself answers URL (any status, with X-Request-Id):
# its context is deployed and its error page works; the container's own 404 does not count.
gateway_answers() {
  case "$(http_probe "$1")" in
    *' -'|'') return 1 ;;
    *) return 0 ;;
  esac
}

# answers_200 URL: true when a GET of URL answers 200 (for proxies that are not the gateway too).
answers_200() {
  [ "$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$1" 2>/dev/null)" = 200 ]
}

# wait_until PID LOG SECONDS FAIL_REGEX CHECK...: poll the command CHECK until it succeeds. Returns 1,
# with LOG's lines on stderr, when PID exits, when LOG matches the extended regex FAIL_REGEX ("" for
# none; for a container that stays up without the webapp), or after SECONDS.
wait_until() {
  local pid="$1" logfile="$2" limit="$3" fail="$4" deadline
  shift 4
  deadline=$((SECONDS + limit))
  until "$@"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "PID $pid exited during start-up; last lines of $logfile:"
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    if [ -n "$fail" ] && grep -Eq "$fail" "$logfile" 2>/dev/null; then
      log "the deployment failed; from $logfile:"
      grep -E "$fail" "$logfile" >&2 || true
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "no success of '$*' within ${limit}s; last lines of $logfile:"
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

# serve_gateway DIR LOG URL FAIL_REGEX: launch SERVER_CMD in DIR (the WAR already deployed there) and
# wait_until the gateway answers URL/__gatewar/ready, START_TIMEOUT seconds (90) at most. Then it
# prints pid=PID, log=LOG and url=URL on stdout and leaves the server running, for the caller to stop
# by PID. When the server does not come up it stops it and returns 1; an exit meanwhile stops it too.
serve_gateway() {
  local dir="$1" logfile="$2" url="$3" fail="$4" pid
  launch "$dir" "$logfile" "${SERVER_CMD[@]}"
  pid=$STARTED_PID
  # shellcheck disable=SC2064  # expanded now on purpose: pid is local
  trap "stop_pid $pid" EXIT
  trap 'exit 130' INT TERM
  if ! wait_until "$pid" "$logfile" "${START_TIMEOUT:-90}" "$fail" gateway_answers "$url/__gatewar/ready"; then
    stop_pid "$pid"
    trap - EXIT
    return 1
  fi
  trap - EXIT
  log "up at $url: PID $pid"
  printf 'pid=%s\nlog=%s\nurl=%s\n' "$pid" "$logfile" "$url"
}

# --- the WAR ----------------------------------------------------------------------------------------

# war_with_webxml WAR WEBXML OUT: OUT is a copy of WAR whose WEB-INF/web.xml is WEBXML (the same
# classes and libraries, other routes). WAR itself is never modified. WEBXML "-" copies WAR as is.
war_with_webxml() {
  local war="$1" webxml="$2" out="$3" stage
  [ -f "$war" ] || die "no WAR at $war (build it first: mvn -B -DskipTests package)"
  mkdir -p "$(dirname "$out")"
  cp "$war" "$out.tmp"
  if [ "$webxml" != "-" ]; then
    [ -f "$webxml" ] || die "no web.xml at $webxml"
    stage="$(mktemp -d "${TMPDIR:-/tmp}/gatewar-webxml.XXXXXX")"
    mkdir -p "$stage/WEB-INF"
    cp "$webxml" "$stage/WEB-INF/web.xml"
    (cd "$stage" && jar uf "$out.tmp" WEB-INF/web.xml) || { rm -rf "$stage"; die "could not update $out"; }
    rm -rf "$stage"
  fi
  mv "$out.tmp" "$out"
}

# --- the distributions ------------------------------------------------------------------------------

# maven_copy COORDS DIR: the artifact COORDS (group:artifact:version[:type]) from Maven Central into
# DIR, through maven-dependency-plugin and ~/.m2 like every other dependency; no other download path.
maven_copy() {
  local coords="$1" dir="$2"
  mkdir -p "$dir"
  # Run in DIR, outside the project (no pom.xml there): Maven resolves only the plugin and COORDS.
  if ! (cd "$dir" && timeout 600 mvn -B -ntp -q "$DEPENDENCY_PLUGIN:copy" -Dartifact="$coords" \
      -DoutputDirectory="$dir") >"$dir/maven.log" 2>&1; then
    cat "$dir/maven.log" >&2
    die "Maven could not resolve $coords"
  fi
}

# fetch_distribution COORDS DIR_NAME MARKER: the tar.gz COORDS unpacked as $OUT_DIR/DIR_NAME, checked
# by its file MARKER. Idempotent: a distribution already unpacked is left alone.
fetch_distribution() {
  local coords="$1" dir="$2" marker="$3" file stage
  [ ! -e "$OUT_DIR/$dir/$marker" ] || return 0
  file="$(echo "$coords" | awk -F: '{ print $2 "-" $3 "." $4 }')"
  log "$dir: resolving $coords through Maven"
  maven_copy "$coords" "$OUT_DIR"
  [ -f "$OUT_DIR/$file" ] || die "Maven reported success but $OUT_DIR/$file is missing"
  # Unpacked beside and moved into place, so that an interrupted run leaves no half distribution.
  stage="$(mktemp -d "$OUT_DIR/.unpack.XXXXXX")"
  tar -xzf "$OUT_DIR/$file" -C "$stage" || { rm -rf "$stage"; die "could not unpack $file"; }
  [ -e "$stage/$dir/$marker" ] || { rm -rf "$stage"; die "$file does not contain $dir/$marker"; }
  rm -rf "${OUT_DIR:?}/$dir"
  mv "$stage/$dir" "$OUT_DIR/$dir"
  rm -rf "$stage" "${OUT_DIR:?}/$file"  # the archive stays in the local repository
  log "$dir: unpacked"
}

# fetch_containers: JETTY_HOME and CATALINA_HOME, the distributions of the versions above.
fetch_containers() {
  fetch_distribution "org.eclipse.jetty:jetty-home:$JETTY_VERSION:tar.gz" "jetty-home-$JETTY_VERSION" start.jar
  fetch_distribution "org.apache.tomcat:tomcat:$TOMCAT_VERSION:tar.gz" "apache-tomcat-$TOMCAT_VERSION" bin/catalina.sh
}

# --- Jetty ------------------------------------------------------------------------------------------

LOGBACK_VERSION="${LOGBACK_VERSION:-$(pom_property logback.version)}"
LOGBACK_JARS="$OUT_DIR/logback-$LOGBACK_VERSION"

# fetch_logback: logback-classic and logback-core of LOGBACK_VERSION in LOGBACK_JARS, through Maven
# (start.jar could download them itself, but only from the network, bypassing ~/.m2). Idempotent.
fetch_logback() {
  local artifact
  for artifact in logback-classic logback-core; do
    [ -f "$LOGBACK_JARS/$artifact-$LOGBACK_VERSION.jar" ] && continue
    log "resolving ch.qos.logback:$artifact:$LOGBACK_VERSION through Maven"
    maven_copy "ch.qos.logback:$artifact:$LOGBACK_VERSION" "$LOGBACK_JARS"
  done
}

# jetty_logback_base DIR: DIR becomes a copy of JETTY_BASE with its logging-logback overlay applied,
# as jetty-base/README.md tells an operator to: the overlay's start.d/ and resources/ copied over the
# base, the Logback jars in lib/logging/. The shipped base itself is never written to.
jetty_logback_base() {
  local dir="$1"
  fetch_logback
  mkdir -p "$dir"
  cp -R "$JETTY_BASE/." "$dir/"
  rm -rf "$dir/logging-logback" "$dir/webapps"  # the WAR goes to jetty.deploy.webappsDir
  cp -R "$JETTY_BASE/logging-logback/." "$dir/"
  mkdir -p "$dir/lib/logging" "$dir/webapps"
  cp "$LOGBACK_JARS"/logback-*-"$LOGBACK_VERSION".jar "$dir/lib/logging/"
}

# prepare_jetty DIR PORT [JAVA_OPTION...]: sets SERVER_CMD, Jetty from JETTY_HOME with the base
# JETTY_BASE (used in place, never written to) on 127.0.0.1:PORT. A fresh DIR holds what a run
# writes: webapps/ (put the WAR there), environments/ and tmp/. With JETTY_LOGGING=logback the base
# is DIR/base instead, a copy with the logging-logback overlay (jetty_logback_base): the access log
# in DIR/base/logs/gatewar-access.log, the rest on stderr.
prepare_jetty() {
  local dir="$1" port="$2" base="$JETTY_BASE" extra=()
  shift 2
  [ -f "$JETTY_HOME/start.jar" ] || fetch_containers
  rm -rf "$dir"
  mkdir -p "$dir/webapps" "$dir/environments" "$dir/tmp"
  case "${JETTY_LOGGING:-jetty}" in
    jetty) ;;
    logback) base="$dir/base"; jetty_logback_base "$base"; extra=(logback.version="$LOGBACK_VERSION") ;;
    *) die "JETTY_LOGGING is '$JETTY_LOGGING': jetty (the base as shipped) or logback" ;;
  esac
  SERVER_CMD=(java "$@" -Djava.io.tmpdir="$dir/tmp" -jar "$JETTY_HOME/start.jar"
    jetty.home="$JETTY_HOME" jetty.base="$base" jetty.http.host=127.0.0.1 jetty.http.port="$port"
    jetty.deploy.webappsDir="$dir/webapps" jetty.deploy.environmentsDir="$dir/environments" "${extra[@]}")
}

# --- Tomcat -----------------------------------------------------------------------------------------

# prepare_tomcat DIR PORT [CONNECTOR_ATTRIBUTES [JAVA_OPTION...]]: sets SERVER_CMD, Tomcat from
# CATALINA_HOME with a fresh CATALINA_BASE in DIR (as RUNNING.txt describes for several instances).
# conf/ is the distribution's, changed only in server.xml: no shutdown port (stopped by PID; two runs
# never collide on 8005) and the HTTP connector on 127.0.0.1:PORT, with CONNECTOR_ATTRIBUTES (e.g.
# maxKeepAliveRequests="-1") added. webapps/ is empty: put the WAR there. JAVA_OPTIONs go to
# CATALINA_OPTS, so none may contain a space.
prepare_tomcat() {
  local dir="$1" port="$2" attributes="${3:-}" xml
  shift 2; [ $# -eq 0 ] || shift
  [ -x "$CATALINA_HOME/bin/catalina.sh" ] || fetch_containers
  rm -rf "$dir"
  mkdir -p "$dir/conf" "$dir/webapps" "$dir/logs" "$dir/temp" "$dir/work"
  cp -p "$CATALINA_HOME/conf/"* "$dir/conf/"
  xml="$dir/conf/server.xml"
  if ! grep -q '<Server port="8005" shutdown="SHUTDOWN">' "$xml" \
     || ! grep -q '<Connector port="8080" protocol="HTTP/1.1"' "$xml"; then
    die "$CATALINA_HOME/conf/server.xml is not the stock one these scripts know how to change"
  fi
  sed -i -e 's|<Server port="8005" shutdown="SHUTDOWN">|<Server port="-1" shutdown="SHUTDOWN">|' \
    -e "s|<Connector port=\"8080\" protocol=\"HTTP/1.1\"|<Connector port=\"$port\" address=\"127.0.0.1\"${attributes:+ $attributes} protocol=\"HTTP/1.1\"|" \
    "$xml"
  # `catalina.sh run` execs the JVM in the foreground: launch's PID is Tomcat's own.
  SERVER_CMD=(env CATALINA_HOME="$CATALINA_HOME" CATALINA_BASE="$dir" CATALINA_TMPDIR="$dir/temp"
    CATALINA_OPTS="$*" "$CATALINA_HOME/bin/catalina.sh" run)
}

# tomcat_drop_access_log DIR: no AccessLogValve in DIR's server.xml (the Jetty base has no request log).
tomcat_drop_access_log() {
  sed -i '/<Valve className="org.apache.catalina.valves.AccessLogValve"/,/\/>/d' "$1/conf/server.xml"
  ! grep -q AccessLogValve "$1/conf/server.xml" || die "could not remove the AccessLogValve from $1/conf/server.xml"
}

# tomcat_access_log_file DIR: the gateway's access log (logger gatewar.access) to its own file,
# DIR/logs/gatewar-access.DATE.log, message only, and no longer to catalina.out: the recipe of
# README.md ("Its own file on Tomcat"), applied to DIR's conf/logging.properties as an operator
# would, so that conformance.sh verifies exactly that text. It is the container-level file on
# purpose: the WAR has no WEB-INF/classes/logging.properties, so Tomcat's ClassLoaderLogManager
# gives the webapp's loggers the properties and handlers of conf/logging.properties.
tomcat_access_log_file() {
  local props="$1/conf/logging.properties" handler=5access.org.apache.juli.AsyncFileHandler
  grep -q '^handlers = .*java\.util\.logging\.ConsoleHandler$' "$props" \
    || die "$props has no stock 'handlers = ...' line to add the access handler to"
  # The handler must be listed in "handlers" to be created; the stock list plus this one.
  sed -i "s|^handlers = \(.*\)$|handlers = \1, $handler|" "$props"
  cat >>"$props" <<PROPERTIES

# gatewar: the access log (logger gatewar.access) in its own file, message only.
$handler.level = INFO
$handler.directory = \${catalina.base}/logs
$handler.prefix = gatewar-access.
$handler.maxDays = 90
$handler.encoding = UTF-8
$handler.formatter = org.apache.juli.VerbatimFormatter
gatewar.access.handlers = $handler
gatewar.access.useParentHandlers = false
PROPERTIES
}

# tomcat_failure_regex CONTEXT WAR_NAME: the catalina.out lines of a context that did not start
# (Tomcat stays up then, answering 404 for it), as wait_until's FAIL_REGEX.
tomcat_failure_regex() {
  echo "Context \\[${1%/}\\] startup failed|Error (deploying|starting) .*$2"
}

# --- web.xml ----------------------------------------------------------------------------------------
# The test routes of containers/conformance.sh and bench/run: webxml_open, then filters, servlets,
# routes and the error page, then webxml_close. Values are written as given (plain names and URLs).

# webxml_open DISPLAY_NAME: the head of a Servlet 6.0 web.xml.
webxml_open() {
  cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="https://jakarta.ee/xml/ns/jakartaee https://jakarta.ee/xml/ns/jakartaee/web-app_6_0.xsd"
         version="6.0">
  <display-name>$1</display-name>
XML
}

# webxml_init_params NAME=VALUE...: one <init-param> each.
webxml_init_params() {
  local pair
  for pair in "$@"; do
    echo "    <init-param><param-name>${pair%%=*}</param-name><param-value>${pair#*=}</param-value></init-param>"
  done
}

# webxml_filter NAME CLASS URL_PATTERN [NAME=VALUE...]: an async-capable filter and its mapping.
webxml_filter() {
  local name="$1" class="$2" pattern="$3"
  shift 3
  echo "  <filter>"
  echo "    <filter-name>$name</filter-name>"
  echo "    <filter-class>$class</filter-class>"
  echo "    <async-supported>true</async-supported>"
  webxml_init_params "$@"
  echo "  </filter>"
  echo "  <filter-mapping><filter-name>$name</filter-name><url-pattern>$pattern</url-pattern></filter-mapping>"
}

# webxml_servlet NAME CLASS URL_PATTERN [NAME=VALUE...]: a servlet and its mapping, loaded at start-up
# (a misconfigured route fails the deployment, not a request) and async-capable (bodies stream).
webxml_servlet() {
  local name="$1" class="$2" pattern="$3"
  shift 3
  echo "  <servlet>"
  echo "    <servlet-name>$name</servlet-name>"
  echo "    <servlet-class>$class</servlet-class>"
  webxml_init_params "$@"
  echo "    <load-on-startup>1</load-on-startup>"
  echo "    <async-supported>true</async-supported>"
  echo "  </servlet>"
  echo "  <servlet-mapping><servlet-name>$name</servlet-name><url-pattern>$pattern</url-pattern></servlet-mapping>"
}

# webxml_route NAME URL_PATTERN UPSTREAM [NAME=VALUE...]: a gatewar route, URL_PATTERN -> UPSTREAM.
webxml_route() {
  local name="$1" pattern="$2" upstream="$3"
  shift 3
  webxml_servlet "$name" dev.gatewar.PrefixProxyServlet "$pattern" upstream="$upstream" "$@"
}

# webxml_error_page: gatewar's JSON error page for the errors the container answers itself.
webxml_error_page() {
  echo "  <servlet><servlet-name>gatewarErrors</servlet-name><servlet-class>dev.gatewar.JsonErrorPageServlet</servlet-class></servlet>"
  echo "  <servlet-mapping><servlet-name>gatewarErrors</servlet-name><url-pattern>/__gatewar/error</url-pattern></servlet-mapping>"
  echo "  <error-page><location>/__gatewar/error</location></error-page>"
}

# webxml_close: the end of the web.xml.
webxml_close() {
  echo "</web-app>"
}
