#!/usr/bin/env bash
# Ping continuo: prints /continuo/pong s "<version>".
set -euo pipefail
source "$(dirname "$0")/_common.sh"

oscsend "$HOST" "$PORT" /continuo/ping
wait_for '/continuo/pong' 5
