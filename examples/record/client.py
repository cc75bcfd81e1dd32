#!/usr/bin/python3
"""Socket clients of examples/record-example.sh.

  client.py echo HOST PORT SIZE [SRC]   UDP "ECHO SIZE", wait up to 1 s for
                                        the reply, retry twice
  client.py send HOST PORT TEXT [SRC]   one UDP datagram, no reply expected
  client.py slowdns HOST [SRC]          DNS query for slow.example.test,
                                        socket closed after 0.1 s
  client.py pings HOST COUNT INTERVAL   COUNT echo requests, each with its own
                                        identifier (so each is a NEW conntrack
                                        entry, unlike ping's one flow), raw socket
  client.py abort HOST PORT PATH        HTTP GET, read the first 2 kB, then
                                        close with SO_LINGER 0 (sends RST)
"""
import socket
import struct
import sys
import time


def sock(host, src):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if src:
        s.bind((src, 0))
    return s


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xFFFF)
    t += t >> 16
    return ~t & 0xFFFF


def main():
    mode, host = sys.argv[1], sys.argv[2]
    if mode == "echo":
        port, size = int(sys.argv[3]), int(sys.argv[4])
        s = sock(host, sys.argv[5] if len(sys.argv) > 5 else None)
        s.settimeout(1.0)
        for _ in range(3):
            s.sendto(b"ECHO %d" % size, (host, port))
            try:
                data = s.recv(65535)
                print(f"echo {host}:{port}: {len(data)} bytes")
                return
            except socket.timeout:
                continue
        print(f"echo {host}:{port}: no reply")
    elif mode == "send":
        port, text = int(sys.argv[3]), sys.argv[4].encode()
        s = sock(host, sys.argv[5] if len(sys.argv) > 5 else None)
        s.sendto(text, (host, port))
    elif mode == "slowdns":
        s = sock(host, sys.argv[3] if len(sys.argv) > 3 else None)
        q = struct.pack("!HHHHHH", 0x5150, 0x0100, 1, 0, 0, 0)
        q += b"".join(bytes([len(l)]) + l for l in (b"slow", b"example", b"test")) + b"\0"
        q += struct.pack("!HH", 1, 1)
        s.sendto(q, (host, 53))
        time.sleep(0.1)
        s.close()
    elif mode == "pings":
        count, interval = int(sys.argv[3]), float(sys.argv[4])
        v6 = ":" in host
        s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW,
                          socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
        for i in range(count):
            ident, payload = 0x6e00 + i, b"nftvm-new-flow-%02d" % i
            hdr = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, ident, 1)
            if not v6:  # the kernel fills in the ICMPv6 checksum, not the ICMP one
                hdr = hdr[:2] + struct.pack("!H", checksum(hdr + payload)) + hdr[4:]
            s.sendto(hdr + payload, (host, 0))
            time.sleep(interval)
        time.sleep(0.5)
    elif mode == "abort":
        port, path = int(sys.argv[3]), sys.argv[4]
        s = socket.create_connection((host, port), timeout=3)
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        got = 0
        while got < 2048:
            data = s.recv(2048 - got)
            if not data:
                break
            got += len(data)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    else:
        sys.exit(f"client.py: unknown mode {mode}")


if __name__ == "__main__":
    main()
