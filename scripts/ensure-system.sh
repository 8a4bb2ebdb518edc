#!/usr/bin/env bash
# Installs the Debian packages ARC Daredevil needs when they are missing, and starts nats-server (with
# JetStream) when nothing listens on the NATS port. Safe to run again: it only acts on what is missing.
#   usage: scripts/ensure-system.sh [--no-nats] [--tests]
#   --tests: also what only the tests use (prometheus, for promtool's rule and config checks)
set -euo pipefail

PACKAGES=(nats-server flite espeak-ng pocketsphinx pocketsphinx-en-us sox chromium)
no_nats=false
for arg in "$@"; do
  case "$arg" in
    --no-nats) no_nats=true ;;
    --tests) PACKAGES+=(prometheus) ;;
    *) echo "[ensure-system] unknown option: $arg" >&2; exit 64 ;;
  esac
done
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if ((${#missing[@]})); then
  echo "[ensure-system] installing Debian packages: ${missing[*]}"
  SUDO=''
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO='sudo'; else
      echo "[ensure-system] need root (or sudo) to install: ${missing[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "[ensure-system] installed: ${missing[*]}"
fi

$no_nats && exit 0

# NATS: reuse any server already listening (CI machines start one); else start ours with JetStream.
nats_url="${NATS_URL:-nats://127.0.0.1:4222}"
hostport="${nats_url#*://}"; hostport="${hostport%%,*}"
host="${hostport%:*}"; port="${hostport##*:}"
if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
  exit 0
fi
if [ "$host" != "127.0.0.1" ] && [ "$host" != "localhost" ]; then
  echo "[ensure-system] NATS_URL points at $host:$port, which does not answer; start that server first" >&2
  exit 1
fi
data_dir="${DATA_DIR:-$(pwd)/data}/nats"
mkdir -p "$data_dir"
echo "[ensure-system] starting nats-server -js on $host:$port (store: $data_dir, log: $data_dir/nats.log)"
setsid nohup nats-server -a "$host" -p "$port" -js -sd "$data_dir" -l "$data_dir/nats.log" >/dev/null 2>&1 &
for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then exit 0; fi
  sleep 0.1
done
echo "[ensure-system] nats-server did not start; see $data_dir/nats.log" >&2
exit 1
