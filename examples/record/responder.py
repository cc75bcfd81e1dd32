#!/usr/bin/python3
"""UDP port 53 of the example server (examples/record-example.sh): a tiny
DNS-like responder plus an echo service, dual stack (one [::]:53 socket).

- A DNS query for NAME.example.test gets one A (192.0.2.10) or AAAA
  (2001:db8::10) record; any other name gets NXDOMAIN. A name starting with
  "slow." is answered after 0.5 s (the client has closed its socket by then,
  so its kernel answers with ICMP port unreachable: a RELATED packet).
- A datagram "ECHO N" is answered with N bytes (so the capture holds replies
  larger than the path MTU: ICMP fragmentation needed / packet too big, then
  fragments). Anything else is echoed back.
"""
import socket
import struct
import sys
import threading

A = socket.inet_pton(socket.AF_INET, "192.0.2.10")
AAAA = socket.inet_pton(socket.AF_INET6, "2001:db8::10")


def qname(msg, off):
    labels = []
    while off < len(msg) and msg[off]:
        n = msg[off]
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return ".".join(labels), off + 1


def dns_answer(msg):
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if flags & 0x8000 or qd != 1:
        return None
    name, off = qname(msg, 12)
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    rd = flags & 0x0100
    known = name.lower().endswith("example.test")
    rr = b""
    if known and qtype == 1:
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + A
    elif known and qtype == 28:
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 300, 16) + AAAA
    rcode = 0 if known else 3
    hdr = struct.pack("!HHHHHH", qid, 0x8400 | rd | rcode, 1, 1 if rr else 0, 0, 0)
    return hdr + question + rr, name


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 53
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    while True:
        msg, peer = s.recvfrom(65535)
        if msg.startswith(b"ECHO "):
            try:
                n = max(0, min(int(msg[5:]), 60000))
            except ValueError:
                n = 0
            s.sendto((b"nftvm-echo " * (n // 11 + 1))[:n], peer)
            continue
        try:
            r = dns_answer(msg)
        except (struct.error, IndexError, UnicodeError):
            r = None
        if r is None:
            s.sendto(msg, peer)
        elif r[1].lower().startswith("slow."):
            threading.Timer(0.5, s.sendto, (r[0], peer)).start()
        else:
            s.sendto(r[0], peer)


if __name__ == "__main__":
    main()
