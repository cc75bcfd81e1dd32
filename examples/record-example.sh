#!/usr/bin/env bash
# Records the bundled example capture: real clients talk to real servers in
# network namespaces while tcpdump captures the server's interface and the
# kernel, running examples/server.nft, traces every packet. Writes:
#
#   examples/server.pcap           tcpdump -i eth0 -s 0 in the server namespace
#                                  (Ethernet, both directions)
#   examples/server-host.json      the server host (and its peers), in the
#                                  host.json format of test/scenarios
#   examples/server-trace.txt      `nft monitor trace` in the server namespace
#   examples/server-counters.txt   `nft list ruleset` after the run (counters)
#   examples/server-conntrack.txt  `conntrack -L` after the run
#
# Usage, as root, from anywhere:  examples/record-example.sh
# Needs: nft, tcpdump, ip, ethtool, curl, dig, ping, ssh, sshd, nc,
# conntrack, /usr/bin/python3 with scapy:
#   apt-get install -y nftables tcpdump iproute2 ethtool curl dnsutils \
#     iputils-ping openssh-client openssh-server netcat-openbsd conntrack python3-scapy
# Namespaces are nftvm-ex-{server,router,lan,wan,v6}; any left over from an
# earlier run are deleted first, and all of them on exit. See examples/README.md.
set -euo pipefail
export TZ=UTC LC_ALL=C

die() { printf 'record-example.sh: %s\n' "$*" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rec=$here/record
py=/usr/bin/python3
P=nftvm-ex-
NODES=(server router lan wan v6)

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, nft, capture); try: sudo $0"
for t in nft tcpdump ip ethtool curl dig ping ssh ssh-keygen /usr/sbin/sshd nc conntrack; do
  command -v "$t" >/dev/null || die "$t not found (see the apt-get line at the top of $0)"
done
$py -c 'import scapy' 2>/dev/null || die "$py has no scapy (apt-get install -y python3-scapy)"
nft_version=$(nft --version)
origin="# recorded by examples/record-example.sh: $nft_version on kernel $(uname -r)"

work=$(mktemp -d /tmp/nftvm-ex.XXXXXX)
pids=()
made_run_sshd=0
cleanup() {
  local p n
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  for n in "${NODES[@]}"; do ip netns del "$P$n" 2>/dev/null || true; done
  ((made_run_sshd)) && rmdir /run/sshd 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

on() { local n=$1; shift; ip netns exec "$P$n" "$@"; }
# a client command whose failure is part of the traffic (timeouts, refusals)
try() { local n=$1; shift; ip netns exec "$P$n" "$@" >>"$work/clients.log" 2>&1 || true; }
# a background server; ip netns exec execs it, so $! is the server itself and
# cleanup can end it (never background a shell function: $! would be a subshell)
daemon() { local n=$1 log=$2; shift 2; ip netns exec "$P$n" "$@" >"$work/$log" 2>&1 & pids+=($!); }

# ------------------------------------------------------------------ topology
#
#   lan 192.168.1.20 ─eth1┐
#   wan 198.51.100.20 ─eth2┼─ router ─eth0── eth0 server 192.0.2.10, 2001:db8::10
#       (.7, 203.0.113.66) │    (forwarding)       (captured here)
#   v6  2001:db8:6::20 ─eth3┘

for n in "${NODES[@]}"; do ip netns del "$P$n" 2>/dev/null || true; done
for n in "${NODES[@]}"; do
  ip netns add "$P$n"
  for k in accept_dad=0 router_solicitations=0 addr_gen_mode=1; do
    on "$n" sysctl -q -w "net.ipv6.conf.default.$k" "net.ipv6.conf.all.$k"
  done
  on "$n" sysctl -q -w net.ipv6.conf.lo.addr_gen_mode=0
  fw=0; [[ $n == router ]] && fw=1
  on "$n" sysctl -q -w net.ipv4.ip_forward=$fw net.ipv6.conf.all.forwarding=$fw
  ip -n "$P$n" link set lo up
done

# veth NODE IF MAC NODE IF MAC MTU: one pair, index 2.. in creation order per node
declare -A nextidx=([server]=2 [router]=2 [lan]=2 [wan]=2 [v6]=2)
veth() {
  local a=$1 ai=$2 am=$3 b=$4 bi=$5 bm=$6 mtu=$7
  ip link add "$ai" netns "$P$a" index "${nextidx[$a]}" address "$am" mtu "$mtu" type veth \
    peer name "$bi" netns "$P$b" index "${nextidx[$b]}" address "$bm" mtu "$mtu"
  nextidx[$a]=$((nextidx[$a] + 1)); nextidx[$b]=$((nextidx[$b] + 1))
  # No offloads: every captured frame is a wire-sized packet with correct
  # checksums, and the server's output hook sees the same packets the capture
  # holds (no GSO super-packets, no GRO merging).
  on "$a" ethtool -K "$ai" tx off gso off gro off >/dev/null
  on "$b" ethtool -K "$bi" tx off gso off gro off >/dev/null
  # TCP builds GSO packets even on a device with gso off (this kernel does);
  # one segment per GSO packet is the only way to keep them MSS-sized.
  ip -n "$P$a" link set "$ai" gso_max_segs 1 up
  ip -n "$P$b" link set "$bi" gso_max_segs 1 up
}
veth server eth0 02:00:00:00:00:10 router eth0 02:00:00:00:00:01 1500
veth router eth1 02:00:00:00:01:01 lan eth0 02:00:00:00:01:20 1500
veth router eth2 02:00:00:00:02:01 wan eth0 02:00:00:00:02:20 1400
veth router eth3 02:00:00:00:06:01 v6 eth0 02:00:00:00:06:20 1280

addr() { local n=$1 dev=$2; shift 2; local a; for a; do ip -n "$P$n" addr add "$a" dev "$dev" $([[ $a == *:* ]] && echo nodad); done; }
addr server eth0 192.0.2.10/24 2001:db8::10/64 fe80::10/64
addr router eth0 192.0.2.1/24 2001:db8::1/64 fe80::1/64
addr router eth1 192.168.1.1/24
addr router eth2 198.51.100.1/24 203.0.113.1/24
addr router eth3 2001:db8:6::1/64 fe80::1/64
addr lan eth0 192.168.1.20/24
addr wan eth0 198.51.100.20/24 198.51.100.7/24 203.0.113.66/24
addr v6 eth0 2001:db8:6::20/64 fe80::20/64
ip -n ${P}server route add default via 192.0.2.1 dev eth0
ip -n ${P}server -6 route add default via fe80::1 dev eth0
ip -n ${P}lan route add default via 192.168.1.1 dev eth0
ip -n ${P}wan route add default via 198.51.100.1 dev eth0
ip -n ${P}v6 -6 route add default via fe80::1 dev eth0

# ------------------------------------------------------------------ servers
mkdir -p "$work/www" "$work/admin" "$work/mirror"
$py - "$work" <<'EOF'
import random, sys
w = sys.argv[1]
r = random.Random(7)
words = "packet filter chain table rule verdict accept drop conntrack hook".split()
def text(n):
    return "\n".join(" ".join(r.choice(words) for _ in range(12)) for _ in range(n)) + "\n"
open(f"{w}/www/index.html", "w").write("<!doctype html><title>example</title><h1>It works</h1>\n" + text(10))
open(f"{w}/www/page.html", "w").write("<!doctype html><title>page</title><pre>\n" + text(100) + "</pre>\n")
open(f"{w}/www/data.json", "w").write("[" + ",".join('{"id": %d, "v": "%s"}' % (i, r.choice(words)) for i in range(120)) + "]\n")
open(f"{w}/www/big.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(65536)))
open(f"{w}/admin/index.html", "w").write("<!doctype html><title>admin</title>\n" + text(20))
open(f"{w}/mirror/index.html", "w").write("<!doctype html><title>mirror</title>\n" + text(30))
EOF

if [[ ! -d /run/sshd ]]; then mkdir -p /run/sshd; chmod 755 /run/sshd; made_run_sshd=1; fi
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/id"
cp "$work/id.pub" "$work/authorized_keys"
cat >"$work/sshd_config" <<EOF
Port 22
ListenAddress 0.0.0.0
ListenAddress ::
HostKey $work/host_key
PidFile none
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF
ssh_opts=(-F /dev/null -i "$work/id" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
          -o BatchMode=yes -o LogLevel=ERROR)

daemon server http80.log $py -m http.server 80 --bind :: --directory "$work/www"
daemon server http8080.log $py -m http.server 8080 --bind :: --directory "$work/admin"
daemon server udp53.log $py "$rec/responder.py" 53
daemon server sshd.log /usr/sbin/sshd -D -e -f "$work/sshd_config"
daemon wan http8000.log $py -m http.server 8000 --bind 0.0.0.0 --directory "$work/mirror"
daemon v6 http8000-v6.log $py -m http.server 8000 --bind :: --directory "$work/mirror"

listening() { # NODE PROTO PORT
  local i
  for i in $(seq 100); do
    [[ -n $(on "$1" ss -Hln"${2:0:1}" "sport = :$3") ]] && return 0
    sleep 0.1
  done
  die "nothing listens on $1 $2/$3 (see the logs in $work)"
}
listening server tcp 80; listening server tcp 8080; listening server udp 53; listening server tcp 22
listening wan tcp 8000; listening v6 tcp 8000

# ------------------------------------------------------------------ ruleset, capture, trace
on server nft -f "$here/server.nft"
on server nft -f "$rec/trace.nft"
sleep 2 # MLD reports of the new addresses go out before the capture starts

daemon server tcpdump.log tcpdump -i eth0 -s 0 -U -n -w "$work/server.pcap"
ip netns exec "${P}server" nft monitor trace >"$work/trace.raw" 2>"$work/monitor.err" & pids+=($!)
for i in $(seq 100); do grep -q 'listening on' "$work/tcpdump.log" && break; sleep 0.1; done
grep -q 'listening on' "$work/tcpdump.log" || die "tcpdump did not start: $(cat "$work/tcpdump.log")"
sleep 1

S4=192.0.2.10 S6=2001:db8::10
CURL=(curl -s -o /dev/null --connect-timeout 2 --max-time 10)
pages=(/ /page.html /data.json / /index.html /page.html /data.json /nothere.html)
http_round() { # NODE BASEURL COUNT [curl options]: COUNT GETs, every 10th a 64 kB file
  local n=$1 base=$2 count=$3 i; shift 3
  for ((i = 0; i < count; i++)); do
    if ((i % 10 == 9)); then try "$n" "${CURL[@]}" "$@" "$base/big.bin"
    else try "$n" "${CURL[@]}" "$@" "$base${pages[i % ${#pages[@]}]}"; fi
    sleep 0.05
  done
}
dig_round() { # NODE SERVER [dig options]
  local n=$1 s=$2; shift 2
  for q in "www A" "mail A" "www AAAA" "ftp A" "nothere.invalid A" "api AAAA"; do
    set -- $q; local name=$1 type=$2
    [[ $name == *.* ]] || name=$name.example.test
    try "$n" dig +tries=1 +time=1 @"$s" "$name" "$type"
    sleep 0.05
  done
}
phase() { echo "-- $*"; echo "-- $*" >>"$work/clients.log"; }

phase "LAN client 192.168.1.20: ssh, web, admin web on 8080, DNS, ping, traceroute, fragments"
for i in 1 2 3; do try lan ssh "${ssh_opts[@]}" -o ConnectTimeout=3 root@$S4 "uname -s; echo session $i"; done
on lan ssh "${ssh_opts[@]}" -o ConnectTimeout=3 root@$S4 "cat $work/www/big.bin" >/dev/null 2>&1 || true
http_round lan http://$S4 40
for i in 1 2 3 4 5; do try lan "${CURL[@]}" http://$S4:8080/; done
dig_round lan $S4
try lan ping -c 5 -i 0.2 $S4
for p in 33434 33435 33436; do try lan $py "$rec/client.py" send $S4 $p traceroute; sleep 0.1; done
try lan $py "$rec/client.py" echo $S4 53 3000
for i in 1 2; do try lan $py "$rec/client.py" abort $S4 80 /big.bin; done
try lan "${CURL[@]}" https://$S4/
try lan nc -z -w 2 $S4 3306

phase "internet client 198.51.100.20 (MTU 1400): web, closed and filtered ports, DNS, PMTU, ping flood"
http_round wan http://$S4 40
try wan "${CURL[@]}" http://$S4:8080/
try wan ssh "${ssh_opts[@]}" -o ConnectTimeout=2 root@$S4 true
for i in 1 2; do try wan "${CURL[@]}" https://$S4/; done
dig_round wan $S4
for i in 1 2; do try wan $py "$rec/client.py" slowdns $S4; sleep 0.6; done
try wan $py "$rec/client.py" echo $S4 53 1450
try wan $py "$rec/client.py" echo $S4 53 1450
for p in 33434 33435; do try wan $py "$rec/client.py" send $S4 $p traceroute; sleep 0.1; done
for p in 5000 9999; do try wan $py "$rec/client.py" send $S4 $p hello; sleep 0.1; done
try wan ping -c 5 -i 0.2 $S4
sleep 1
try wan ping -c 100 -i 0.01 -W 1 $S4
sleep 1
try wan $py "$rec/client.py" pings $S4 40 0.01
sleep 1

phase "blocklisted sources 198.51.100.7 and 203.0.113.66"
try wan "${CURL[@]}" --interface 198.51.100.7 http://$S4/
try wan ping -c 3 -i 0.2 -W 1 -I 198.51.100.7 $S4
try wan "${CURL[@]}" --interface 203.0.113.66 http://$S4/
try wan dig +tries=1 +time=1 -b 203.0.113.66 @$S4 www.example.test A
try wan ping -c 2 -i 0.2 -W 1 -I 203.0.113.66 $S4

phase "IPv6 client 2001:db8:6::20 (MTU 1280): web, filtered ports, DNS, packet too big, fragments"
http_round v6 "http://[$S6]" 30
try v6 "${CURL[@]}" "http://[$S6]:8080/"
try v6 ssh "${ssh_opts[@]}" -o ConnectTimeout=2 root@$S6 true
try v6 "${CURL[@]}" "https://[$S6]/"
dig_round v6 $S6
try v6 $py "$rec/client.py" echo $S6 53 1400
try v6 $py "$rec/client.py" echo $S6 53 3000
try v6 $py "$rec/client.py" send $S6 33434 traceroute
try v6 $py "$rec/client.py" send $S6 5000 hello
try v6 ping -6 -c 5 -i 0.2 $S6
sleep 1
try v6 $py "$rec/client.py" pings $S6 20 0.01

phase "hand-made packets (scapy): invalid flags, strays, bad checksum, lone fragment"
try wan $py "$rec/craft.py" $S4
try v6 $py "$rec/craft.py" $S6

phase "the server as a client: web and ping to the internet and IPv6 clients"
for i in 1 2 3; do try server "${CURL[@]}" http://198.51.100.20:8000/; done
for i in 1 2 3; do try server "${CURL[@]}" "http://[2001:db8:6::20]:8000/"; done
try server ping -c 3 -i 0.2 198.51.100.20
try server ping -6 -c 3 -i 0.2 2001:db8:6::20

sleep 3 # last FIN/ACKs and retransmissions
kill -INT "${pids[-2]}"; wait "${pids[-2]}" 2>/dev/null || true
sleep 0.5
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

# ------------------------------------------------------------------ results
cp "$work/server.pcap" "$here/server.pcap"
{ echo "$origin"; cat "$work/trace.raw"; } >"$here/server-trace.txt"
{ echo "$origin"; on server nft list ruleset; } >"$here/server-counters.txt"
{ echo "$origin"; on server conntrack -L 2>/dev/null | sort; } >"$here/server-conntrack.txt"
$py "$rec/host_json.py" "$P" "$here/server-host.json"

packets=$(tcpdump -r "$here/server.pcap" -n 2>/dev/null | wc -l)
traced=$(grep -o '^trace id [0-9a-f]*' "$work/trace.raw" | sort -u | wc -l)
echo "server.pcap: $packets packets, $(stat -c %s "$here/server.pcap") bytes; trace: $traced packet ids"
[[ -s $work/monitor.err ]] && echo "nft monitor trace said: $(head -3 "$work/monitor.err")" >&2 || true
