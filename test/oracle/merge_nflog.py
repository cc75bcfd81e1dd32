#!/usr/bin/python3
"""Merge NFLOG captures into a Linux cooked v2 capture as outgoing packets.

    merge_nflog.py CAPTURE.pcap NFLOG.pcap HOST.json [OUT.pcap]

Packets a ruleset drops in output (e.g. the host's own RSTs that a scenario
drops at output -250 so conntrack never sees them) never reach a device, so
`tcpdump -i any` cannot see them. The scenario logs them to an nflog group
just before dropping them (`... log group 7 drop`), record-trace.sh captures
that group with `tcpdump -i nflog:7` (LINKTYPE_NFLOG, 239), and this script
turns each NFLOG record into a LINKTYPE_LINUX_SLL2 (276) record: packet type 4
(PACKET_OUTGOING, "sent by us"), protocol 0x0800/0x86dd from the IP version,
the ifindex of NFULA_IFINDEX_OUTDEV, the hatype and MAC of that interface as
HOST.json describes it (what tcpdump -i any writes for the host's outgoing
packets), and the payload of NFULA_PAYLOAD. The timestamp is NFULA_TIMESTAMP
when present (the kernel only adds it before output) or else the record's:
libpcap's receive time, which is close to when the packet was logged only if
the rule sends each packet at once (`log group 7 queue-threshold 1`; by
default the kernel batches them for up to a second). The new records are
inserted in timestamp order (after records with an equal or earlier
timestamp); CAPTURE is rewritten in place unless OUT is given.
A replay treats an outgoing cooked packet with a local source address as
locally generated (output → postrouting), as the kernel did.

Stdlib only; both files are classic pcap (any byte order, µs or ns).
"""
import json
import struct
import sys

LINKTYPE_NFLOG = 239
LINKTYPE_LINUX_SLL2 = 276
PACKET_OUTGOING = 4
NFULA_TIMESTAMP = 3
NFULA_IFINDEX_OUTDEV = 5
NFULA_PAYLOAD = 9
HATYPE = {"loopback": 772}  # ARPHRD_LOOPBACK; veth and bridge are ARPHRD_ETHER (1)


def read_pcap(path):
    """(endian, nanos, header bytes, linktype, [(sec, frac, orig_len, data)])."""
    with open(path, "rb") as f:
        d = f.read()
    if len(d) < 24:
        raise SystemExit(f"merge_nflog.py: {path}: not a pcap file")
    magic_le = struct.unpack("<I", d[:4])[0]
    for e in "<>":
        magic = struct.unpack(e + "I", d[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        raise SystemExit(f"merge_nflog.py: {path}: not a classic pcap file (magic {magic_le:#x})")
    nanos = magic == 0xA1B23C4D
    linktype = struct.unpack(e + "I", d[20:24])[0] & 0x0FFFFFFF
    recs = []
    off = 24
    while off + 16 <= len(d):
        sec, frac, incl, orig = struct.unpack(e + "IIII", d[off:off + 16])
        data = d[off + 16:off + 16 + incl]
        if len(data) < incl:
            raise SystemExit(f"merge_nflog.py: {path}: truncated record at byte {off}")
        recs.append((sec, frac, orig, data))
        off += 16 + incl
    return e, nanos, d[:24], linktype, recs


def nflog_tlvs(data):
    """The TLVs of one LINKTYPE_NFLOG record: {type: value} (lengths/types in host = file order, values as the kernel sent them)."""
    if len(data) < 4:
        raise SystemExit("merge_nflog.py: NFLOG record shorter than its header")
    out = {}
    off = 4  # family (1), version (1), resource id = group (2, big-endian)
    while off + 4 <= len(data):
        # tlv_length and tlv_type are in the capturing host's byte order (libpcap's pcap/nflog.h)
        ln, ty = struct.unpack("=HH", data[off:off + 4])
        if ln < 4:
            break
        out.setdefault(ty & 0x7FFF, data[off + 4:off + ln])
        off += (ln + 3) & ~3
    return data[0], out


def main(argv):
    if len(argv) not in (4, 5):
        raise SystemExit(__doc__.split("\n\n")[1])
    cap_path, nflog_path, host_path = argv[1:4]
    out_path = argv[4] if len(argv) == 5 else cap_path
    e, nanos, header, lt, recs = read_pcap(cap_path)
    if lt != LINKTYPE_LINUX_SLL2:
        raise SystemExit(f"merge_nflog.py: {cap_path}: linktype {lt}, want LINUX_SLL2 ({LINKTYPE_LINUX_SLL2})")
    _, nl_nanos, _, nl_lt, nl_recs = read_pcap(nflog_path)
    if nl_lt != LINKTYPE_NFLOG:
        raise SystemExit(f"merge_nflog.py: {nflog_path}: linktype {nl_lt}, want NFLOG ({LINKTYPE_NFLOG})")
    host = json.load(open(host_path))
    ifs = {i["index"]: i for i in host["interfaces"]}
    scale = 1_000_000_000 if nanos else 1_000_000

    def key(sec, frac, ns):
        return sec * 1_000_000_000 + (frac if ns else frac * 1000)

    new = []
    for sec, frac, _orig, data in nl_recs:
        family, t = nflog_tlvs(data)
        payload = t.get(NFULA_PAYLOAD)
        if not payload:
            raise SystemExit(f"merge_nflog.py: NFLOG record at {sec}.{frac} has no payload")
        outdev = t.get(NFULA_IFINDEX_OUTDEV)
        if outdev is None:
            raise SystemExit(f"merge_nflog.py: NFLOG record at {sec}.{frac} has no output interface (not logged in output/postrouting?)")
        ifindex = struct.unpack(">I", outdev)[0]
        if ifindex not in ifs:
            raise SystemExit(f"merge_nflog.py: output ifindex {ifindex} is not in {host_path}")
        ts = t.get(NFULA_TIMESTAMP)
        if ts is not None and len(ts) == 16:
            tsec, tusec = struct.unpack(">QQ", ts)
            k = tsec * 1_000_000_000 + tusec * 1000
        else:
            k = key(sec, frac, nl_nanos)
        version = payload[0] >> 4
        proto = {4: 0x0800, 6: 0x86DD}.get(version) or {2: 0x0800, 10: 0x86DD}.get(family)
        if proto is None:
            raise SystemExit(f"merge_nflog.py: NFLOG record at {sec}.{frac}: neither IPv4 nor IPv6")
        iface = ifs[ifindex]
        mac = bytes.fromhex(iface.get("mac", "00:00:00:00:00:00").replace(":", ""))
        hatype = HATYPE.get(iface.get("kind"), 1)
        sll2 = struct.pack(">HHIHBB", proto, 0, ifindex, hatype, PACKET_OUTGOING, len(mac)) + mac.ljust(8, b"\0")
        new.append((k, sll2 + payload))

    merged = []
    new.sort(key=lambda r: r[0])
    j = 0
    for sec, frac, orig, data in recs:
        k = key(sec, frac, nanos)
        while j < len(new) and new[j][0] < k:
            merged.append((new[j][0], None, new[j][1]))
            j += 1
        merged.append((k, orig, data))
    merged.extend((k, None, d) for k, d in new[j:])

    out = bytearray(header)
    for k, orig, data in merged:
        sec, rest = divmod(k, 1_000_000_000)
        frac = rest if nanos else rest // 1000
        out += struct.pack(e + "IIII", sec, frac, len(data), len(data) if orig is None else orig) + data
    with open(out_path, "wb") as f:
        f.write(out)
    print(f"merge_nflog.py: {len(new)} nflog packet(s) merged into {out_path} ({len(merged)} records)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
