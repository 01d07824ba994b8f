# Shared by containers/*.sh (sourced, never run). Bash; the caller has `set -euo pipefail`.
# shellcheck disable=SC2034  # the variables are used by the scripts that source this file
#
# Versions: the distributions the WAR is checked on, fetched from Maven Central by containers/fetch.sh.
JETTY_VERSION="${JETTY_VERSION:-12.1.8}"
TOMCAT_VERSION="${TOMCAT_VERSION:-11.0.24}"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$REPO/target/containers"
RUN_DIR="$OUT_DIR/run"
JETTY_HOME="$OUT_DIR/jetty-home-$JETTY_VERSION"
CATALINA_HOME="$OUT_DIR/apache-tomcat-$TOMCAT_VERSION"
JETTY_BASE_SRC="$REPO/jetty-base"

log() { echo "[containers] $*" >&2; }
die() { echo "[containers] error: $*" >&2; exit 1; }

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

# stop_pid PID [SECONDS]: SIGTERM (both containers stop gracefully on it), poll until the process is
# gone, SIGKILL at the deadline. Only ever the PID this script family started.
stop_pid() {
  local pid="$1" limit="${2:-30}" deadline
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + limit))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "PID $pid still running ${limit}s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  # Reap it when it is our child, so no zombie is left behind.
  wait "$pid" 2>/dev/null || true
}

# stop_group PGID [SECONDS]: like stop_pid for the process group PGID, which a script of this family
# started with setsid (the group's leader has PID PGID): every process in it gets SIGTERM.
stop_group() {
  local pgid="$1" limit="${2:-30}" deadline
  [ -n "$pgid" ] || return 0
  kill -0 -- "-$pgid" 2>/dev/null || return 0
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  deadline=$((SECONDS + limit))
  while kill -0 -- "-$pgid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "process group $pgid still running ${limit}s after SIGTERM; sending SIGKILL"
      kill -KILL -- "-$pgid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  wait "$pgid" 2>/dev/null || true
}

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

# http_probe URL: prints "STATUS REQUEST_ID" of a GET (REQUEST_ID "-" when the response has no
# X-Request-Id, i.e. it was not answered by the gateway's code); prints nothing when nothing answers.
http_probe() {
  { curl -s -o /dev/null --max-time 5 -D - "$1" 2>/dev/null || true; } | tr -d '\r' | awk '
    NR == 1 { status = $2 }
    tolower($1) == "x-request-id:" { id = $2 }
    END { if (status != "") print status, (id == "" ? "-" : id) }'
}

# wait_ready PID URL LOG SECONDS [FAIL_REGEX]: polls until URL is answered by the gateway (a response
# carrying X-Request-Id: the context is deployed and its error page works). Fails fast when PID exits
# or when LOG matches FAIL_REGEX (extended regex: a container that stays up without the context).
wait_ready() {
  local pid="$1" url="$2" logfile="$3" limit="$4" fail="${5:-}" deadline answer
  deadline=$((SECONDS + limit))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the container (PID $pid) exited during start-up; last lines of $logfile:"
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    if [ -n "$fail" ] && grep -Eq "$fail" "$logfile" 2>/dev/null; then
      log "the deployment failed; from $logfile:"
      grep -E "$fail" "$logfile" >&2 || true
      return 1
    fi
    answer="$(http_probe "$url")"
    case "$answer" in
      *' -'|'') ;;  # nothing listens yet, or the container (not the gateway) answered
      *) return 0 ;;
    esac
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "no answer from the gateway at $url within ${limit}s (last: '${answer:-no connection}'); last lines of $logfile:"
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    sleep 0.25
  done
}
