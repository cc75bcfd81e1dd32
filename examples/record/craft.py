#!/usr/bin/python3
"""A handful of hand-made packets for examples/record-example.sh (scapy, sent
through a raw socket of the client's namespace, so they are routed like any
other packet). Each one exercises a conntrack corner of the example ruleset:

  craft.py SERVER   (SERVER = 192.0.2.10 or 2001:db8::10)

  TCP SYN+FIN               -> ct state invalid (bad flag combination)
  TCP RST, no connection    -> ct state invalid          (IPv4 only)
  TCP ACK, no connection    -> ct state new (nf_conntrack_tcp_loose picks it
                               up), accepted to port 80, the server answers RST
  TCP FIN+PSH+URG to 22     -> ct state invalid          (IPv4 only)
  ICMP(v6) echo reply       -> ct state invalid (a reply without request)
  ICMP port unreachable for
  a flow that never existed -> ct state invalid          (IPv4 only)
  UDP to 53, bad checksum   -> ct state invalid (conntrack verifies it)
                                                         (IPv4 only)
  first fragment only       -> held by defragmentation, never reaches a
                               chain                     (IPv4 only)
"""
import sys
import time

from scapy.all import ICMP, IP, IPv6, ICMPv6EchoReply, TCP, UDP, UDPerror, IPerror, Raw, conf, send

conf.verb = 0


def main():
    dst = sys.argv[1]
    if ":" in dst:
        l3 = IPv6(dst=dst)
        pkts = [
            l3 / TCP(sport=41001, dport=80, flags="SF", seq=1000),
            l3 / TCP(sport=41003, dport=80, flags="A", seq=123456, ack=654321),
            l3 / ICMPv6EchoReply(id=0x4242, seq=1, data=b"nftvm-unsolicited"),
        ]
    else:
        src = IP(dst=dst).src
        l3 = IP(dst=dst)
        pkts = [
            l3 / TCP(sport=40001, dport=80, flags="SF", seq=1000),
            l3 / TCP(sport=40002, dport=80, flags="R", seq=2000),
            l3 / TCP(sport=40003, dport=80, flags="A", seq=123456, ack=654321),
            l3 / TCP(sport=40004, dport=22, flags="FPU", seq=3000),
            l3 / ICMP(type="echo-reply", id=0x4242, seq=1) / b"nftvm-unsolicited",
            l3 / ICMP(type=3, code=3) / IPerror(src=dst, dst=src) / UDPerror(sport=53, dport=40005),
            l3 / UDP(sport=40006, dport=53, chksum=0x1234) / b"nftvm-bad-checksum",
            IP(dst=dst, id=0x7777, flags="MF", frag=0) / UDP(sport=40007, dport=53, len=1008) / (b"f" * 200),
        ]
    for p in pkts:
        send(p)
        time.sleep(0.2)


if __name__ == "__main__":
    main()
