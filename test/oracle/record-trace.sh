#!/usr/bin/env bash
# Record kernel ground truth for trace replay: for each scenario
# test/scenarios/NAME/ (ruleset.nft, send.py, host.json) build the namespaces
# that host.json describes, load the ruleset in the host namespace, capture
# and trace there while send.py runs, and store in test/fixtures/trace/NAME/:
#
#   capture.pcap        tcpdump -i any in the host namespace (Linux cooked v2:
#                       interface index, direction), every packet
#   IFNAME.pcap         tcpdump -p -i IFNAME for each non-lo host interface
#                       (Ethernet headers with both MACs; -p: never promiscuous,
#                       so capturing does not change what the bridge delivers)
#   trace.txt           `nft monitor trace` verbatim, after an origin comment
#   ruleset.nft         copy of the scenario's ruleset
#   host.json           copy of the scenario's host.json
#   conntrack.txt       `conntrack -L` in the host namespace at the end; its
#                       second comment line `# listed at SEC.USEC` is the wall
#                       clock (same clock as the capture) when it was taken
#   events.txt          `conntrack -E -o timestamp` in the host namespace, from
#                       before the first packet until after the listing
#
# When ruleset.nft has `log group N` (one group), `tcpdump -i nflog:N` runs in
# the host namespace too, and merge_nflog.py adds what it logged to
# capture.pcap as outgoing cooked-v2 packets of the logged output interface:
# packets dropped in output never reach a device (the scenarios' own RSTs to
# a crafted client, dropped at output -250 by `... log group 7
# queue-threshold 1 drop`), but the replay must see them to run them through
# output as the kernel did. The kernel gives nflog packets no timestamp in
# output and libpcap stamps them when it reads them, so `queue-threshold 1`
# makes the kernel send each one at once (the default batches them for up to
# a second).
#
# host.json may set "sysctl" (per-netns sysctls, applied by trace_scenario.py
# before the ruleset loads), "conntrack_max" and "conntrack_buckets":
# nf_conntrack_max and nf_conntrack_buckets (the hash size, shared by all
# namespaces) are global and read-only inside a netns, so they are set in the
# init namespace for the scenario and the old values are restored afterwards
# (also on error/interrupt).
#
# Usage (as root, from anywhere):
#   test/oracle/record-trace.sh               # every scenario
#   test/oracle/record-trace.sh NAME...       # only these
# Needs: nft (1.0.6), tcpdump, ip, /usr/bin/python3 with scapy (python3-scapy),
# conntrack (optional). Namespaces are called nftvm-tr-ROLE (see
# trace_scenario.py) and are deleted on exit. See test/scenarios/README.md.
set -euo pipefail
export TZ=UTC LC_ALL=C

die() { printf 'record-trace.sh: %s\n' "$*" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
scen_root="$root/test/scenarios"
fix_root="$root/test/fixtures/trace"
helper="$here/trace_scenario.py"
py=/usr/bin/python3

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, nft, capture); try: sudo $0 $*"
for t in nft tcpdump ip; do command -v "$t" >/dev/null || die "$t not found (apt-get install -y nftables tcpdump iproute2)"; done
$py -c 'import scapy' 2>/dev/null || die "$py has no scapy (apt-get install -y python3-scapy)"
have_conntrack=0; command -v conntrack >/dev/null && have_conntrack=1
nft_version=$(nft --version)
[[ $nft_version == *"v1.0.6 "* ]] || echo "record-trace.sh: warning: $nft_version is not nftables 1.0.6" >&2
origin="# recorded by test/oracle/record-trace.sh: $nft_version on kernel $(uname -r)"

if (($#)); then names=("$@"); else
  names=(); for d in "$scen_root"/*/; do [[ -f $d/ruleset.nft ]] && names+=("$(basename "$d")"); done
fi

cur=""       # scenario whose namespaces exist
pids=()      # background processes of the current scenario
saved_max="" # nf_conntrack_max to restore (init namespace, whole machine)
saved_buckets="" # nf_conntrack_buckets to restore
ct_max_file=/proc/sys/net/netfilter/nf_conntrack_max
ct_buckets_file=/proc/sys/net/netfilter/nf_conntrack_buckets
restore_max() {
  if [[ -n $saved_max ]]; then echo "$saved_max" >"$ct_max_file"; saved_max=""; fi
  if [[ -n $saved_buckets ]]; then echo "$saved_buckets" >"$ct_buckets_file"; saved_buckets=""; fi
  return 0
}
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  [[ -n $cur ]] && $py "$helper" down "$cur" || true
  cur=""
  restore_max
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() {
  local name=${1%/}; name=${name##*/}
  local sdir="$scen_root/$name" out="$fix_root/$name"
  [[ -f $sdir/ruleset.nft && -f $sdir/send.py && -f $sdir/host.json ]] \
    || die "$sdir needs ruleset.nft, send.py and host.json"
  echo "== $name"
  local tmp; tmp=$(mktemp -d)
  cur=$sdir
  local cmax cbuckets
  cmax=$($py -c 'import json,sys; print(json.load(open(sys.argv[1])).get("conntrack_max", ""))' "$sdir/host.json")
  cbuckets=$($py -c 'import json,sys; print(json.load(open(sys.argv[1])).get("conntrack_buckets", ""))' "$sdir/host.json")
  if [[ -n $cbuckets ]]; then
    [[ -w $ct_buckets_file ]] || die "$name: conntrack_buckets needs $ct_buckets_file"
    saved_buckets=$(cat "$ct_buckets_file")
    echo "$cbuckets" >"$ct_buckets_file"
    echo "   nf_conntrack_buckets $saved_buckets -> $(cat "$ct_buckets_file") (restored after the scenario)"
  fi
  if [[ -n $cmax ]]; then
    [[ -w $ct_max_file ]] || die "$name: conntrack_max needs $ct_max_file"
    saved_max=$(cat "$ct_max_file")
    echo "$cmax" >"$ct_max_file"
    echo "   nf_conntrack_max $saved_max -> $cmax (restored after the scenario)"
  fi
  $py "$helper" up "$sdir"
  local hns=${NFTVM_TR_PREFIX:-nftvm-tr-}host
  local ifs; ifs=$(ip -n "$hns" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -vx lo || true)

  (cd "$sdir" && ip netns exec "$hns" nft -f ruleset.nft) || die "$name: nft -f ruleset.nft failed"

  ip netns exec "$hns" nft monitor trace >"$tmp/trace.raw" 2>"$tmp/monitor.err" & pids+=($!)
  if ((have_conntrack)); then
    # subscribed well before the first packet: the readiness wait below plus 0.5 s
    ip netns exec "$hns" conntrack -E -o timestamp >"$tmp/events.raw" 2>"$tmp/events.err" & pids+=($!)
  fi
  ip netns exec "$hns" tcpdump -i any -p -U -n -w "$tmp/capture.pcap" 2>"$tmp/tcpdump-any.err" & pids+=($!)
  local i
  for i in $ifs; do
    ip netns exec "$hns" tcpdump -i "$i" -p -U -n -w "$tmp/$i.pcap" 2>"$tmp/tcpdump-$i.err" & pids+=($!)
  done
  # packets the ruleset logs to an nflog group (dropped in output: on no device)
  local nflog="" groups
  groups=$(grep -v '^[[:space:]]*#' "$sdir/ruleset.nft" | grep -o 'log group [0-9]*' | awk '{print $3}' | sort -u || true)
  if [[ -n $groups ]]; then
    [[ $(wc -l <<<"$groups") -eq 1 ]] || die "$name: more than one log group in ruleset.nft ($(echo $groups))"
    nflog=nflog:$groups
    # not *.pcap: only capture.pcap (merged) and IFNAME.pcap go to the fixture
    ip netns exec "$hns" tcpdump -i "$nflog" -U -n -w "$tmp/nflog.raw" 2>"$tmp/tcpdump-$nflog.err" & pids+=($!)
  fi
  # wait until every tcpdump says "listening on"
  local n
  for n in $(seq 100); do
    local ready=1
    for i in any $ifs $nflog; do grep -q 'listening on' "$tmp/tcpdump-$i.err" 2>/dev/null || ready=0; done
    ((ready)) && break
    sleep 0.05
  done
  sleep 0.5   # nft monitor has no readiness signal

  $py "$helper" send "$sdir" || die "$name: send.py failed"

  sleep 1     # late replies, trace events still queued
  local conn="" connerr="" listed=""
  if ((have_conntrack)); then
    listed=$(date +%s.%6N)
    conn=$(ip netns exec "$hns" conntrack -L 2>"$tmp/conntrack.err" || true)
    connerr=$(grep -v '^conntrack v' "$tmp/conntrack.err" || true)
  fi
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  [[ -s $tmp/monitor.err ]] && { cat "$tmp/monitor.err" >&2; die "$name: nft monitor trace wrote to stderr"; }
  $py "$helper" down "$sdir"
  cur=""
  restore_max

  if [[ -n $nflog ]]; then
    $py "$here/merge_nflog.py" "$tmp/capture.pcap" "$tmp/nflog.raw" "$sdir/host.json" || die "$name: merge_nflog.py failed"
  fi
  mkdir -p "$out"
  rm -f "$out"/*.pcap
  cp "$tmp"/*.pcap "$out/"
  cp "$sdir/ruleset.nft" "$sdir/host.json" "$out/"
  { echo "$origin"; cat "$tmp/trace.raw"; } >"$out/trace.txt"
  if ((have_conntrack)); then
    { echo "$origin; conntrack -L in the host namespace after the last packet (stderr: ${connerr:-none})"
      echo "# listed at $listed"
      [[ -n $conn ]] && printf '%s\n' "$conn"; } >"$out/conntrack.txt"
    local everr; everr=$(grep -v 'flow events have been shown' "$tmp/events.err" || true)
    { echo "$origin; conntrack -E -o timestamp in the host namespace from before the first packet to after the listing (stderr: ${everr:-none})"
      cat "$tmp/events.raw"; } >"$out/events.txt"
  fi
  local npk; npk=$(tcpdump -r "$out/capture.pcap" -n 2>/dev/null | wc -l)
  printf '   %s packets in capture.pcap, %s trace lines\n' "$npk" "$(($(wc -l <"$out/trace.txt") - 1))"
  rm -rf "$tmp"
}

for n in "${names[@]}"; do record "$n"; done
