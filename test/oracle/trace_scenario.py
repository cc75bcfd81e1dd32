#!/usr/bin/python3
"""Topology builder and packet sender for test/oracle/record-trace.sh.

Run with Debian's /usr/bin/python3 (python3-scapy), as root:

  trace_scenario.py up   SCENARIO_DIR   build the namespaces described by host.json
  trace_scenario.py send SCENARIO_DIR   run the scenario's send.py
  trace_scenario.py down SCENARIO_DIR   delete the namespaces of host.json
  trace_scenario.py names SCENARIO_DIR  print the namespace names, one a line

Namespaces are named PREFIX + role: PREFIX is $NFTVM_TR_PREFIX (default
"nftvm-tr-"), roles are "host" and the keys of host.json's "peers".
host.json's format is documented in test/scenarios/README.md ("sysctl" of
the host and of each peer is applied in that namespace by `up`;
"conntrack_max" is handled by record-trace.sh in the init namespace).

send.py runs in ONE Python process started in the root namespace: it
switches network namespace with setns(2) around the creation of each socket
(a socket stays in the namespace it was created in), so packets from several
namespaces can be interleaved with precise timing. Its globals:

  host, peer1, peer2 ...  Node objects (one per namespace role)
  HOST                    the parsed host.json
  sleep(seconds)          time.sleep
  all of scapy.all        (to build packets; scapy's own send functions are
                          not used: they resolve routes/interfaces in the
                          root namespace)

Node methods:
  node.send(pkt, iface=None)  send one L2 frame from node's interface (default:
                              its first non-lo interface) with an AF_PACKET
                              socket; a packet without an Ether layer gets
                              Ether(src=iface mac, dst=link partner's mac).
                              Bypasses the sender's netfilter hooks.
  node.raw(pkt)               send an IPv4/IPv6 packet through a raw socket
                              (IPPROTO_RAW): routed by node's kernel, passes
                              its output/postrouting hooks.
  node.socket(fam, type, proto=0)  a socket created inside node's namespace.
  node.run(cmd...)            subprocess.run inside node's namespace (ping ...).
  node.mac(ifname) / node.ip4(ifname) / node.ip6(ifname)  from host.json.
"""
import ctypes
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

PREFIX = os.environ.get("NFTVM_TR_PREFIX", "nftvm-tr-")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def sh(*args, check=True):
    r = subprocess.run(args, capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit(f"trace_scenario.py: {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def load(dirname):
    with open(os.path.join(dirname, "host.json")) as f:
        return json.load(f)


def roles(h):
    return ["host"] + sorted(h.get("peers", {}))


def nsname(role):
    return PREFIX + role


def node_spec(h, role):
    return h if role == "host" else h["peers"][role]


# ---------------------------------------------------------------- topology

def sysctl(ns, key, value):
    sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{key}={value}")


def up(dirname):
    h = load(dirname)
    down(dirname, quiet=True)
    for role in roles(h):
        ns = nsname(role)
        spec = node_spec(h, role)
        sh("ip", "netns", "add", ns)
        # No IPv6 noise: no DAD, no router solicitations, no automatic link-local
        # address (host.json lists every address explicitly).
        for key, v in (("accept_dad", 0), ("router_solicitations", 0), ("addr_gen_mode", 1)):
            sysctl(ns, f"net.ipv6.conf.default.{key}", v)
            sysctl(ns, f"net.ipv6.conf.all.{key}", v)
        fw = spec.get("forwarding", {})
        sysctl(ns, "net.ipv4.ip_forward", 1 if fw.get("ipv4") else 0)
        sysctl(ns, "net.ipv6.conf.all.forwarding", 1 if fw.get("ipv6") else 0)
        sysctl(ns, "net.ipv6.conf.lo.addr_gen_mode", 0)
        # per-netns sysctls of host.json (conntrack timeouts ...); the conntrack
        # ones exist in a new netns because nf_conntrack is built in / loaded
        for key, v in spec.get("sysctl", {}).items():
            sysctl(ns, key, v)
    # interfaces: veth pairs (created from the host side), then bridges
    for role in roles(h):
        spec = node_spec(h, role)
        for it in spec["interfaces"]:
            if it.get("kind") != "veth" or "link" not in it:
                continue
            prole, pif = it["link"].split(":")
            pit = iface(node_spec(h, prole), pif)
            cmd = ["ip", "link", "add", it["name"], "netns", nsname(role), "index", str(it["index"]),
                   "address", it["mac"], "mtu", str(it.get("mtu", 1500)), "type", "veth",
                   "peer", "name", pit["name"], "netns", nsname(prole), "index", str(pit["index"]),
                   "address", pit["mac"], "mtu", str(pit.get("mtu", 1500))]
            sh(*cmd)
    for role in roles(h):
        ns = nsname(role)
        spec = node_spec(h, role)
        for it in spec["interfaces"]:
            if it.get("kind") == "bridge":
                sh("ip", "-n", ns, "link", "add", it["name"], "index", str(it["index"]), "address", it["mac"],
                   "mtu", str(it.get("mtu", 1500)), "type", "bridge", "stp_state", "0",
                   "mcast_snooping", "0")
        for it in spec["interfaces"]:
            if "master" in it:
                sh("ip", "-n", ns, "link", "set", it["name"], "master", it["master"])
        for it in spec["interfaces"]:
            sh("ip", "-n", ns, "link", "set", it["name"], "up")
        for it in spec["interfaces"]:
            if it["name"] == "lo":
                continue  # 127.0.0.1/8 and ::1/128 come with lo up
            for a in it.get("addresses", []):
                extra = ["nodad"] if ":" in a else []
                sh("ip", "-n", ns, "addr", "add", a, "dev", it["name"], *extra)
        for r in spec.get("routes", []):
            cmd = ["ip", "-n", ns, "-6" if ":" in r["dst"] or ":" in r.get("via", "") else "-4",
                   "route", "add", r["dst"]]
            if "via" in r:
                cmd += ["via", r["via"]]
            if "dev" in r:
                cmd += ["dev", r["dev"]]
            sh(*cmd)
        for n in spec.get("neighbors", []):
            sh("ip", "-n", ns, "neigh", "replace", n["ip"], "lladdr", n["mac"], "dev", n["dev"],
               "nud", "permanent")
    verify(h)
    # let MLD reports of the freshly added addresses go out before tracing starts
    time.sleep(float(h.get("settle", 2.5)))


def iface(spec, name):
    for it in spec["interfaces"]:
        if it["name"] == name:
            return it
    sys.exit(f"trace_scenario.py: no interface {name} in host.json")


def verify(h):
    for role in roles(h):
        ns = nsname(role)
        links = {l["ifname"]: l for l in json.loads(sh("ip", "-j", "-n", ns, "link", "show").stdout)}
        addrs = {a["ifname"]: a for a in json.loads(sh("ip", "-j", "-n", ns, "addr", "show").stdout)}
        spec = node_spec(h, role)
        want = {it["name"] for it in spec["interfaces"]}
        if set(links) != want:
            sys.exit(f"trace_scenario.py: {ns}: interfaces {sorted(links)} != host.json {sorted(want)}")
        for it in spec["interfaces"]:
            l = links[it["name"]]
            if l["ifindex"] != it["index"] or l.get("address", "") != it["mac"]:
                sys.exit(f"trace_scenario.py: {ns} {it['name']}: index {l['ifindex']} mac {l.get('address')} "
                         f"!= host.json {it['index']} {it['mac']}")
            got = sorted(f"{a['local']}/{a['prefixlen']}" for a in addrs[it["name"]].get("addr_info", []))
            if got != sorted(it.get("addresses", [])):
                sys.exit(f"trace_scenario.py: {ns} {it['name']}: addresses {got} != host.json "
                         f"{sorted(it.get('addresses', []))}")


def down(dirname, quiet=False):
    h = load(dirname)
    existing = set(sh("ip", "netns", "list").stdout.split())
    for role in roles(h):
        ns = nsname(role)
        if ns in existing:
            sh("ip", "netns", "del", ns, check=not quiet)


# ---------------------------------------------------------------- sending

@contextmanager
def netns(name):
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {name}")
        yield
    finally:
        _libc.setns(own, CLONE_NEWNET)
        os.close(own)
        os.close(target)


class Node:
    def __init__(self, h, role):
        self.h, self.role, self.ns = h, role, nsname(role)
        self.spec = node_spec(h, role)
        self._l2 = {}
        self._raw = {}

    def iface(self, name=None):
        if name is None:
            for it in self.spec["interfaces"]:
                if it["name"] != "lo":
                    return it
        return iface(self.spec, name)

    def mac(self, name=None):
        return self.iface(name)["mac"]

    def ip4(self, name=None):
        return next(a.split("/")[0] for a in self.iface(name).get("addresses", []) if ":" not in a)

    def ip6(self, name=None):
        return next(a.split("/")[0] for a in self.iface(name).get("addresses", [])
                    if ":" in a and not a.startswith("fe80"))

    def partner_mac(self, name):
        it = self.iface(name)
        if "link" in it:
            prole, pif = it["link"].split(":")
            return iface(node_spec(self.h, prole), pif)["mac"]
        for role in roles(self.h):  # the side that names us in its "link"
            for o in node_spec(self.h, role)["interfaces"]:
                if o.get("link") == f"{self.role}:{name}":
                    return o["mac"]
        return "ff:ff:ff:ff:ff:ff"

    def socket(self, family, type_, proto=0):
        with netns(self.ns):
            return socket.socket(family, type_, proto)

    def send(self, pkt, iface=None):
        from scapy.all import Ether
        name = self.iface(iface)["name"]
        if not isinstance(pkt, (bytes, bytearray)):
            if not pkt.haslayer(Ether):
                pkt = Ether(src=self.mac(name), dst=self.partner_mac(name)) / pkt
            pkt = bytes(pkt)
        s = self._l2.get(name)
        if s is None:
            s = self._l2[name] = self.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
            s.bind((name, 0))
        s.send(pkt)

    def raw(self, pkt):
        from scapy.all import IP, IPv6
        v6 = pkt.haslayer(IPv6)
        dst = pkt[IPv6].dst if v6 else pkt[IP].dst
        fam = socket.AF_INET6 if v6 else socket.AF_INET
        s = self._raw.get(fam)
        if s is None:
            s = self._raw[fam] = self.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
        s.sendto(bytes(pkt), (dst, 0))

    def run(self, *cmd, check=False):
        return subprocess.run(["ip", "netns", "exec", self.ns, *cmd], capture_output=True, text=True,
                              check=check)


def send(dirname):
    h = load(dirname)
    import scapy.all as scapy_all
    g = {k: getattr(scapy_all, k) for k in dir(scapy_all) if not k.startswith("_")}
    g.update(HOST=h, sleep=time.sleep, socket=socket, Node=Node, __name__="__send__")
    for role in roles(h):
        g[role] = Node(h, role)
    path = os.path.join(dirname, "send.py")
    with open(path) as f:
        code = compile(f.read(), path, "exec")
    exec(code, g)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("up", "down", "send", "names"):
        sys.exit(__doc__)
    cmd, d = sys.argv[1], sys.argv[2]
    if cmd == "up":
        up(d)
    elif cmd == "down":
        down(d)
    elif cmd == "send":
        send(d)
    else:
        print("\n".join(nsname(r) for r in roles(load(d))))


if __name__ == "__main__":
    main()
