#!/usr/bin/env bash
# Fetch the container distributions the WAR is checked on, through Maven (Maven Central, via the
# local repository ~/.m2 like every other dependency), and unpack them under target/containers/:
#
#   org.eclipse.jetty:jetty-home:$JETTY_VERSION:tar.gz  -> target/containers/jetty-home-$JETTY_VERSION/
#   org.apache.tomcat:tomcat:$TOMCAT_VERSION:tar.gz     -> target/containers/apache-tomcat-$TOMCAT_VERSION/
#
# Prints the two directories. Idempotent: a distribution already unpacked is left alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

fetch_containers
echo "$JETTY_HOME"
echo "$CATALINA_HOME"
