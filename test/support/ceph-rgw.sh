#!/usr/bin/env bash
# A real S3 server for integration tests: single-node Ceph (monitor + in-memory OSD + RADOS
# Gateway) from Debian's packages, on loopback. Unlike s3rver it checks signatures, verifies
# Content-MD5 and rejects aws-chunked bodies the way production Ceph does, so the BlobStore
# conformance suite runs against it.
#
#   test/support/ceph-rgw.sh start DIR [RGW_PORT] [MON_PORT]
#       installs the Debian packages if missing (needs root or sudo), starts the daemons with
#       all state under DIR, prints S3_* lines on stdout (also written to DIR/s3.env).
#       Ports not given are picked free, so two suites can run at once.
#   test/support/ceph-rgw.sh stop DIR
#       stops the daemons started for DIR and removes DIR. Safe to call twice.
#
# Typical use:  set -a; eval "$(test/support/ceph-rgw.sh start /tmp/rgw)"; set +a
# Credentials: access key "testkey", secret "testsecret"; region "us-east-1"; path-style URLs.
# Data lives in the OSD's memory (at most 4 GiB) and is gone after stop.
set -euo pipefail
cmd=${1:-}; D=${2:-}
[[ -n $cmd && -n $D ]] || { echo "usage: $0 start|stop DIR [RGW_PORT] [MON_PORT]" >&2; exit 2; }
D=$(realpath -m -- "$D")
log() { echo "ceph-rgw: $*" >&2; }
die() {
  log "$*"
  # The daemon logs are the only clue on a CI machine: show their tails before giving up.
  if [[ -d $D/log ]]; then for f in "$D"/log/*.log; do [[ -f $f ]] && { log "--- $f"; tail -n 15 "$f" >&2; }; done; fi
  # Never leave half a cluster running; DIR stays for the logs until "stop DIR".
  [[ $cmd == start && -f $D/ceph.conf ]] && { kill_daemons; log "logs kept in $D/log"; }
  exit 1
}

kill_daemons() {
  local pids=() f p
  for f in "$D"/run/*.pid; do [[ -f $f ]] && pids+=("$(cat "$f")"); done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 20); do
    local alive=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break; sleep 0.5
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -f "$D"/run/*.pid
}

stop() {
  # Refuse to delete a directory this script did not create (DIR is user input, we run as root).
  if [[ -e $D && ! -f $D/ceph.conf && -n $(ls -A "$D" 2>/dev/null) ]]; then
    die "$D is not empty and has no ceph.conf; not removing it"
  fi
  kill_daemons
  rm -rf -- "$D"
}
if [[ $cmd == stop ]]; then stop; exit 0; fi
[[ $cmd == start ]] || { echo "unknown command $cmd" >&2; exit 2; }

install_packages() {
  local need=() sudo=()
  command -v ceph-mon >/dev/null || need+=(ceph-mon)
  command -v ceph-osd >/dev/null || need+=(ceph-osd)
  command -v radosgw >/dev/null || need+=(radosgw)
  command -v ceph >/dev/null && command -v monmaptool >/dev/null || need+=(ceph-common)
  command -v curl >/dev/null || need+=(curl)
  ((${#need[@]})) || return 0
  if ((EUID != 0)); then command -v sudo >/dev/null && sudo=(sudo -n) || die "need root to install ${need[*]}"; fi
  log "installing ${need[*]} (about 15-60 s)"
  local out; out=$(mktemp)
  # "apt-get update" first: a fresh CI image has empty package lists.
  if ! { "${sudo[@]}" apt-get update -qq &&
         "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$out" 2>&1; then
    tail -n 20 "$out" >&2; rm -f "$out"; die "cannot install ${need[*]}"
  fi
  rm -f "$out"
}

free_port() {
  # Ask the kernel for a free port (node is there: the tests run on it). A port can still be
  # taken before the daemon binds it; start_once's failure then makes us try other ports.
  if command -v node >/dev/null; then
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
  else
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  fi
}

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
C=()
ceph_() { timeout 30 ceph "${C[@]}" --connect-timeout 10 "$@"; }

# One attempt to bring the cluster up on the given ports; returns 1 if a port was taken.
start_once() {
  local port=$1 mon_port=$2 fsid id body
  mkdir -p "$D"/{mon,osd,rgw,log,run}
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$D/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
# RGW creates ~7 pools at first start; few PGs each keeps that to seconds on one OSD.
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
# We place the OSD in the CRUSH map ourselves. Left on, these make the starting OSD send mon
# commands that, on a busy machine, can go out before it has the monmap and fail with
# "wrong fsid" (seen with two clusters starting at once on 2 cores), killing the OSD.
osd crush update on start = false
osd class update on start = false
osd objectstore = memstore
memstore device bytes = 4294967296
ms bind ipv6 = false
ms bind msgr2 = false
run dir = $D/run
pid file = $D/run/\$name.pid
admin socket = $D/run/\$name.\$pid.asok
log file = $D/log/\$name.log
[mon.a]
mon data = $D/mon
public addr = v1:127.0.0.1:$mon_port
[osd.0]
osd data = $D/osd
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $D/rgw
CONF
  C=(-c "$D/ceph.conf")
  monmaptool --create --clobber --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$D/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$D/monmap" "${C[@]}" >/dev/null 2>&1 || die "ceph-mon --mkfs failed"
  ceph-mon -i a "${C[@]}" >/dev/null 2>&1 || return 1
  local ok=0
  for _ in $(seq 30); do ceph_ health >/dev/null 2>&1 && { ok=1; break; }; sleep 1; done
  ((ok)) || return 1
  id=$(ceph_ osd create) || die "ceph osd create failed"
  ceph-osd -i "$id" --mkfs "${C[@]}" >/dev/null 2>&1 || die "ceph-osd --mkfs failed"
  ceph_ osd crush add-bucket node0 host >/dev/null 2>&1
  ceph_ osd crush move node0 root=default >/dev/null 2>&1
  ceph_ osd crush add "osd.$id" 1.0 host=node0 >/dev/null 2>&1
  ok=0
  for try in 1 2 3; do # the OSD's start-up can lose races with the monitor: start it again
    ceph-osd -i "$id" "${C[@]}" >/dev/null 2>&1 || { log "ceph-osd start $try failed"; sleep 1; continue; }
    for _ in $(seq 60); do
      ceph_ osd stat 2>/dev/null | grep -q "1 up" && { ok=1; break 2; }
      alive "$D/run/osd.$id.pid" || { log "ceph-osd exited (try $try)"; break; }
      sleep 1
    done
  done
  ((ok)) || die "the OSD did not come up"
  radosgw -n client.rgw "${C[@]}" >/dev/null 2>&1 || die "radosgw did not start"
  ok=0
  for _ in $(seq 60); do
    # Something else may hold the port and answer (or hang): only RGW's own answer counts.
    body=$(curl -s --max-time 3 "http://127.0.0.1:$port/" 2>/dev/null || true)
    [[ $body == *ListAllMyBucketsResult* ]] && { ok=1; break; }
    # radosgw daemonizes before binding and exits when the port is taken.
    grep -qs "failed to bind" "$D/log/client.rgw.log" && return 1
    sleep 1
  done
  ((ok)) || die "radosgw did not answer on port $port"
  radosgw-admin "${C[@]}" -n client.rgw user create --uid=test --display-name=test \
    --access-key=testkey --secret=testsecret >/dev/null 2>&1 || die "radosgw-admin user create failed"
  RGW_PORT=$port
}

install_packages
[[ -d $D ]] && stop
started=$SECONDS
RGW_PORT=
for attempt in 1 2 3; do
  port=${3:-$(free_port)}; mon_port=${4:-$(free_port)}
  [[ $port != "$mon_port" ]] || continue
  if start_once "$port" "$mon_port"; then break; fi
  # Fixed ports cannot be changed by retrying; free ones may have been taken in between.
  [[ -z ${3:-} || -z ${4:-} ]] && ((attempt < 3)) || die "could not start on ports $port/$mon_port"
  log "ports $port/$mon_port busy? retrying with others"
  stop
done
[[ -n $RGW_PORT ]] || die "could not start"
log "up in $((SECONDS - started)) s (data in $D)"
tee "$D/s3.env" <<ENV
S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
S3_REGION=us-east-1
S3_ACCESS_KEY_ID=testkey
S3_SECRET_ACCESS_KEY=testsecret
S3_FORCE_PATH_STYLE=true
ENV
