#!/usr/bin/env bash
# Starts a MinIO server for the S3 tests, or stops it.
#
#   bash .ci/minio.sh [ENVFILE]          start; print the export lines, or write them to ENVFILE
#   bash .ci/minio.sh --stop [ENVFILE]   stop the server ENVFILE (or the environment) names
#   eval "$(bash .ci/minio.sh)"          start and take the variables into this shell
#
# The export lines set TUNESAFE_MINIO_ENDPOINT, TUNESAFE_MINIO_ACCESS_KEY and
# TUNESAFE_MINIO_SECRET_KEY, which internal/s3test reads to run the S3 tests
# against MinIO as well as the embedded versitygw, plus TUNESAFE_MINIO_PID and
# TUNESAFE_MINIO_DIR for --stop.
#
# MinIO is AGPL-3.0 and no longer maintained: it is only a test target, built
# from source here, and never imported by Tunesafe. It listens on
# 127.0.0.1:${TUNESAFE_MINIO_PORT:-9000} with a temporary data directory that
# --stop removes.
set -euo pipefail

MINIO_MODULE=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
PORT=${TUNESAFE_MINIO_PORT:-9000}
ADDR=127.0.0.1:$PORT
ACCESS_KEY=tunesafe-minio
SECRET_KEY=tunesafe-minio-secret
# Records the server this script started on PORT, so that a server left by
# an interrupted run can be stopped before starting a new one.
PIDFILE=${TMPDIR:-/tmp}/tunesafe-minio-$PORT.pid

log() { echo "minio.sh: $*" >&2; }

# stop_server PID DIR: ends the server PID if it is the MinIO serving DIR,
# and removes DIR.
stop_server() {
  local pid=$1 dir=$2
  if [[ -n $pid && -r /proc/$pid/cmdline ]] && tr '\0' ' ' </proc/"$pid"/cmdline | grep -qF -- "$dir"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  if [[ -n $dir && $dir == */tunesafe-minio.* ]]; then
    rm -rf -- "$dir"
  fi
}

if [[ ${1:-} == --stop ]]; then
  if [[ -n ${2:-} ]]; then
    # shellcheck disable=SC1090
    source "$2"
  fi
  stop_server "${TUNESAFE_MINIO_PID:-}" "${TUNESAFE_MINIO_DIR:-}"
  if [[ -f $PIDFILE ]] && [[ $(cut -d' ' -f1 "$PIDFILE") == "${TUNESAFE_MINIO_PID:-}" ]]; then
    rm -f -- "$PIDFILE"
  fi
  exit 0
fi
envfile=${1:-}

if [[ -f $PIDFILE ]]; then
  read -r old_pid old_dir <"$PIDFILE" || true
  log "stopping the server left by an earlier run (pid ${old_pid:-?})"
  stop_server "${old_pid:-}" "${old_dir:-}"
  rm -f -- "$PIDFILE"
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  log "something already listens on $ADDR; set TUNESAFE_MINIO_PORT to another port"
  exit 1
fi

log "building $MINIO_MODULE (cached after the first time)"
go install "$MINIO_MODULE"
bin=$(go env GOBIN)
bin=${bin:-$(go env GOPATH)/bin}/minio

dir=$(mktemp -d "${TMPDIR:-/tmp}/tunesafe-minio.XXXXXX")
mkdir "$dir/data"
MINIO_ROOT_USER=$ACCESS_KEY MINIO_ROOT_PASSWORD=$SECRET_KEY MINIO_BROWSER=off MINIO_UPDATE=off \
  setsid nohup "$bin" server --quiet --address "$ADDR" "$dir/data" >"$dir/minio.log" 2>&1 </dev/null &
pid=$!
echo "$pid $dir" >"$PIDFILE"

# live: whether MinIO's liveness endpoint answers 200 (bash's /dev/tcp, so
# that no HTTP client needs installing).
live() {
  local status
  { exec 3<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null || return 1
  printf 'GET /minio/health/live HTTP/1.0\r\nHost: %s\r\n\r\n' "$ADDR" >&3
  read -r -t 5 _ status _ <&3 || status=
  exec 3<&-
  [[ $status == 200 ]]
}

# Ready when the liveness endpoint answers; give up after 60 s.
for i in $(seq 600); do
  if live; then
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    log "MinIO exited; its log:"
    cat "$dir/minio.log" >&2
    stop_server "" "$dir"
    rm -f -- "$PIDFILE"
    exit 1
  fi
  if [[ $i == 600 ]]; then
    log "MinIO did not answer on $ADDR within 60 s; its log:"
    cat "$dir/minio.log" >&2
    stop_server "$pid" "$dir"
    rm -f -- "$PIDFILE"
    exit 1
  fi
  sleep 0.1
done
log "MinIO serves http://$ADDR (pid $pid, data in $dir)"

exports="export TUNESAFE_MINIO_ENDPOINT=http://$ADDR
export TUNESAFE_MINIO_ACCESS_KEY=$ACCESS_KEY
export TUNESAFE_MINIO_SECRET_KEY=$SECRET_KEY
export TUNESAFE_MINIO_PID=$pid
export TUNESAFE_MINIO_DIR=$dir"
if [[ -n $envfile ]]; then
  echo "$exports" >"$envfile"
else
  echo "$exports"
fi
