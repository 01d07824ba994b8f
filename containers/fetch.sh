#!/usr/bin/env bash
# Fetch the container distributions the WAR is checked on, through Maven (Maven Central, via the
# local repository ~/.m2 like every other dependency), and unpack them under target/containers/:
#
#   org.eclipse.jetty:jetty-home:$JETTY_VERSION:tar.gz  -> target/containers/jetty-home-$JETTY_VERSION/
#   org.apache.tomcat:tomcat:$TOMCAT_VERSION:tar.gz     -> target/containers/apache-tomcat-$TOMCAT_VERSION/
#
# Idempotent: a distribution already unpacked is left alone. Nothing is downloaded by any other way.
set -euo pipefail
source "$(dirname "$0")/common.sh"

DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

# fetch_one GROUP:ARTIFACT:VERSION:tar.gz DIR_NAME MARKER
fetch_one() {
  local coords="$1" dir="$2" marker="$3" file stage
  if [ -e "$OUT_DIR/$dir/$marker" ]; then
    log "$dir: already unpacked"
    return 0
  fi
  file="$(echo "$coords" | awk -F: '{ print $2 "-" $3 "." $4 }')"
  log "$dir: resolving $coords through Maven"
  # Run Maven outside the project (target/containers has no pom.xml): only the plugin and the artifact.
  if ! (cd "$OUT_DIR" && mvn -B -ntp -q "$DEPENDENCY_PLUGIN:copy" -Dartifact="$coords" \
      -DoutputDirectory="$OUT_DIR") >"$OUT_DIR/fetch-maven.log" 2>&1; then
    cat "$OUT_DIR/fetch-maven.log" >&2
    die "Maven could not resolve $coords"
  fi
  [ -f "$OUT_DIR/$file" ] || die "Maven reported success but $OUT_DIR/$file is missing"
  stage="$(mktemp -d "$OUT_DIR/.unpack.XXXXXX")"
  tar -xzf "$OUT_DIR/$file" -C "$stage" || { rm -rf "$stage"; die "could not unpack $file"; }
  [ -e "$stage/$dir/$marker" ] || { rm -rf "$stage"; die "$file does not contain $dir/$marker"; }
  rm -rf "${OUT_DIR:?}/$dir"
  mv "$stage/$dir" "$OUT_DIR/$dir"
  rm -rf "$stage" "${OUT_DIR:?}/$file"  # the archive stays in the local repository
  log "$dir: unpacked"
}

mkdir -p "$OUT_DIR"
fetch_one "org.eclipse.jetty:jetty-home:$JETTY_VERSION:tar.gz" "jetty-home-$JETTY_VERSION" start.jar
fetch_one "org.apache.tomcat:tomcat:$TOMCAT_VERSION:tar.gz" "apache-tomcat-$TOMCAT_VERSION" bin/catalina.sh
echo "$JETTY_HOME"
echo "$CATALINA_HOME"
