#!/usr/bin/python3
# Writes one of the standard topologies as host.json (used to author the scenarios):
#   make-host-json.py endpoint|dynamic|router|bridge OUT.json
# endpoint: host eth0 <-> peer1 (static neighbours); dynamic: same without static
# neighbours (ARP/ND happen); router: peer1 - host - peer2, forwarding on;
# bridge: host br0 = {eth0, eth1}, peer1 and peer2 in one subnet.
import json, sys
LO = {"name": "lo", "index": 1, "kind": "loopback", "mac": "00:00:00:00:00:00", "mtu": 65536,
      "addresses": ["127.0.0.1/8", "::1/128"]}
def veth(name, index, mac, addrs, link=None, master=None):
    d = {"name": name, "index": index, "kind": "veth", "mac": mac, "mtu": 1500, "addresses": addrs}
    if link: d["link"] = link
    if master: d["master"] = master
    return d
def n(ip, mac, dev): return {"ip": ip, "mac": mac, "dev": dev}
M = {"h0": "02:00:00:00:01:01", "p1": "02:00:00:00:01:02", "h1": "02:00:00:00:02:01", "p2": "02:00:00:00:02:02",
     "br": "02:00:00:00:03:01", "b1": "02:00:00:00:03:02", "b2": "02:00:00:00:03:03"}
def endpoint(static=True):
    h = {"comment": "endpoint: host eth0 <-> peer1 eth0", "forwarding": {"ipv4": False, "ipv6": False},
         "interfaces": [LO, veth("eth0", 2, M["h0"], ["10.99.1.1/24", "fd99:1::1/64", "fe80::1/64"], link="peer1:eth0")],
         "routes": [], "neighbors": [n("10.99.1.2", M["p1"], "eth0"), n("fd99:1::2", M["p1"], "eth0"), n("fe80::2", M["p1"], "eth0")] if static else [],
         "peers": {"peer1": {"interfaces": [LO, veth("eth0", 2, M["p1"], ["10.99.1.2/24", "fd99:1::2/64", "fe80::2/64"])],
                             "routes": [],
                             "neighbors": [n("10.99.1.1", M["h0"], "eth0"), n("fd99:1::1", M["h0"], "eth0"), n("fe80::1", M["h0"], "eth0")] if static else []}}}
    return h
def router():
    return {"comment": "router: peer1 eth0 <-> host eth0, host eth1 <-> peer2 eth0, forwarding on",
            "forwarding": {"ipv4": True, "ipv6": True},
            "interfaces": [LO, veth("eth0", 2, M["h0"], ["10.99.1.1/24", "fd99:1::1/64", "fe80::1/64"], link="peer1:eth0"),
                           veth("eth1", 3, M["h1"], ["10.99.2.1/24", "fd99:2::1/64", "fe80::1/64"], link="peer2:eth0")],
            "routes": [],
            "neighbors": [n("10.99.1.2", M["p1"], "eth0"), n("fd99:1::2", M["p1"], "eth0"), n("fe80::2", M["p1"], "eth0"),
                          n("10.99.2.2", M["p2"], "eth1"), n("fd99:2::2", M["p2"], "eth1"), n("fe80::2", M["p2"], "eth1")],
            "peers": {
                "peer1": {"interfaces": [LO, veth("eth0", 2, M["p1"], ["10.99.1.2/24", "fd99:1::2/64", "fe80::2/64"])],
                          "routes": [{"dst": "default", "via": "10.99.1.1", "dev": "eth0"}, {"dst": "default", "via": "fd99:1::1", "dev": "eth0"}],
                          "neighbors": [n("10.99.1.1", M["h0"], "eth0"), n("fd99:1::1", M["h0"], "eth0"), n("fe80::1", M["h0"], "eth0")]},
                "peer2": {"interfaces": [LO, veth("eth0", 2, M["p2"], ["10.99.2.2/24", "fd99:2::2/64", "fe80::2/64"])],
                          "routes": [{"dst": "default", "via": "10.99.2.1", "dev": "eth0"}, {"dst": "default", "via": "fd99:2::1", "dev": "eth0"}],
                          "neighbors": [n("10.99.2.1", M["h1"], "eth0"), n("fd99:2::1", M["h1"], "eth0"), n("fe80::1", M["h1"], "eth0")]}}}
def bridge():
    return {"comment": "bridge: br0 = {eth0, eth1}; peer1 eth0 <-> host eth0, host eth1 <-> peer2 eth0; br0 has 10.99.3.1",
            "forwarding": {"ipv4": False, "ipv6": False},
            "interfaces": [LO, veth("eth0", 2, M["h0"], [], link="peer1:eth0", master="br0"),
                           veth("eth1", 3, M["h1"], [], link="peer2:eth0", master="br0"),
                           {"name": "br0", "index": 4, "kind": "bridge", "mac": M["br"], "mtu": 1500,
                            "addresses": ["10.99.3.1/24", "fd99:3::1/64", "fe80::1/64"], "ports": ["eth0", "eth1"]}],
            "routes": [],
            "neighbors": [n("10.99.3.2", M["p1"], "br0"), n("10.99.3.3", M["p2"], "br0"), n("fd99:3::2", M["p1"], "br0"), n("fd99:3::3", M["p2"], "br0")],
            "peers": {
                "peer1": {"interfaces": [LO, veth("eth0", 2, M["p1"], ["10.99.3.2/24", "fd99:3::2/64", "fe80::2/64"])], "routes": [],
                          "neighbors": [n("10.99.3.1", M["br"], "eth0"), n("10.99.3.3", M["p2"], "eth0"), n("fd99:3::1", M["br"], "eth0"), n("fd99:3::3", M["p2"], "eth0")]},
                "peer2": {"interfaces": [LO, veth("eth0", 2, M["p2"], ["10.99.3.3/24", "fd99:3::3/64", "fe80::3/64"])], "routes": [],
                          "neighbors": [n("10.99.3.1", M["br"], "eth0"), n("10.99.3.2", M["p1"], "eth0"), n("fd99:3::1", M["br"], "eth0"), n("fd99:3::2", M["p1"], "eth0")]}}}
kind, out = sys.argv[1], sys.argv[2]
h = {"endpoint": endpoint, "dynamic": lambda: endpoint(False), "router": router, "bridge": bridge}[kind]()
if kind == "dynamic": h["comment"] += "; no static neighbors (ARP/ND happen)"

def dump(v, ind=0):
    p = "  " * ind
    if isinstance(v, dict) and any(isinstance(x, (dict, list)) and x and isinstance(x, dict) or (isinstance(x, list) and x and isinstance(x[0], dict)) for x in v.values()):
        items = [f'{p}  {json.dumps(k)}: {dump(x, ind + 1).lstrip()}' for k, x in v.items()]
        return p + "{\n" + ",\n".join(items) + "\n" + p + "}"
    if isinstance(v, list) and v and isinstance(v[0], dict):
        return p + "[\n" + ",\n".join(p + "  " + json.dumps(x) for x in v) + "\n" + p + "]"
    return p + json.dumps(v)
open(out, "w").write(dump(h) + "\n")
