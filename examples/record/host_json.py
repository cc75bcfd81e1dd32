#!/usr/bin/python3
"""Writes examples/server-host.json from the live namespaces of
examples/record-example.sh, so the description cannot drift from what was
recorded. Format: the host.json of test/scenarios (see examples/README.md).

  host_json.py PREFIX OUT.json
"""
import json
import subprocess
import sys

PREFIX, OUT = sys.argv[1], sys.argv[2]
# veth pairs, written once, on the first side (as in test/scenarios)
LINKS = {("server", "eth0"): "router:eth0", ("router", "eth1"): "lan:eth0",
         ("router", "eth2"): "wan:eth0", ("router", "eth3"): "v6:eth0"}
COMMENT = ("example server: host eth0 (capture interface of server.pcap) <-> router eth0; "
           "router eth1 <-> lan (192.168.1.0/24), eth2 <-> wan (198.51.100.0/24, "
           "203.0.113.0/24, MTU 1400), eth3 <-> v6 (2001:db8:6::/64, MTU 1280)")


def ipj(ns, *args):
    return json.loads(subprocess.run(["ip", "-j", "-n", PREFIX + ns, *args], check=True,
                                     capture_output=True, text=True).stdout or "[]")


def sysctl(ns, key):
    return subprocess.run(["ip", "netns", "exec", PREFIX + ns, "sysctl", "-n", key], check=True,
                          capture_output=True, text=True).stdout.strip()


def addr_key(a):
    ip = a.split("/")[0]
    return (":" in ip, ip.startswith("fe80"), a)


def node(ns):
    links = ipj(ns, "-d", "link", "show")
    addrs = {a["ifname"]: a for a in ipj(ns, "addr", "show")}
    ifs = []
    for l in sorted(links, key=lambda l: l["ifindex"]):
        name = l["ifname"]
        kind = "loopback" if name == "lo" else l.get("linkinfo", {}).get("info_kind", "ether")
        it = {"name": name, "index": l["ifindex"], "kind": kind, "mac": l.get("address", "00:00:00:00:00:00"),
              "mtu": l["mtu"],
              "addresses": sorted((f"{a['local']}/{a['prefixlen']}" for a in addrs[name].get("addr_info", [])),
                                  key=addr_key)}
        if (ns, name) in LINKS:
            it["link"] = LINKS[(ns, name)]
        ifs.append(it)
    routes = []
    for fam in ("-4", "-6"):
        for r in ipj(ns, fam, "route", "show"):
            if r.get("protocol") in ("kernel", "ra") or r.get("type", "unicast") != "unicast":
                continue
            rt = {"dst": r["dst"]}
            if "gateway" in r:
                rt["via"] = r["gateway"]
            rt["dev"] = r["dev"]
            routes.append(rt)
    fw = {"ipv4": sysctl(ns, "net.ipv4.ip_forward") == "1",
          "ipv6": sysctl(ns, "net.ipv6.conf.all.forwarding") == "1"}
    return {"forwarding": fw, "interfaces": ifs, "routes": routes, "neighbors": []}


def dump_node(n, ind):
    pad = " " * ind
    lines = [f'{pad}"forwarding": {json.dumps(n["forwarding"])},', f'{pad}"interfaces": [']
    lines.append(",\n".join(f"{pad}  {json.dumps(i)}" for i in n["interfaces"]))
    lines.append(f"{pad}],")
    if n["routes"]:
        lines.append(f'{pad}"routes": [')
        lines.append(",\n".join(f"{pad}  {json.dumps(r)}" for r in n["routes"]))
        lines.append(f"{pad}],")
    else:
        lines.append(f'{pad}"routes": [],')
    lines.append(f'{pad}"neighbors": []')
    return "\n".join(lines)


def main():
    out = ["{", f'  "comment": {json.dumps(COMMENT)},', dump_node(node("server"), 2) + ",", '  "peers": {']
    peers = ["router", "lan", "wan", "v6"]
    for i, p in enumerate(peers):
        out.append(f'    "{p}": {{')
        out.append(dump_node(node(p), 6))
        out.append("    }" + ("," if i < len(peers) - 1 else ""))
    out += ["  }", "}"]
    text = "\n".join(out) + "\n"
    json.loads(text)
    with open(OUT, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
