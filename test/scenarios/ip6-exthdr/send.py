h, p = "fd99:1::1", "fd99:1::2"
def v6(*ext, l4):
    pkt = IPv6(src=p, dst=h)
    for e in ext:
        pkt = pkt / e
    return pkt / l4
peer1.send(v6(IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\x00" * 4)]), l4=UDP(sport=51000, dport=6000) / b"hbh"))
sleep(0.05)
peer1.send(v6(IPv6ExtHdrDestOpt(), l4=UDP(sport=51001, dport=6000) / b"dst"))
sleep(0.05)
peer1.send(v6(IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(), l4=ICMPv6EchoRequest(id=1, seq=1)))
sleep(0.05)
peer1.send(v6(IPv6ExtHdrFragment(id=0x1234, m=0, offset=0), l4=UDP(sport=51002, dport=6000) / b"atomic"))
sleep(0.05)
big = IPv6(src=p, dst=h) / IPv6ExtHdrFragment(id=0x5678) / UDP(sport=51003, dport=6000) / (b"F" * 200)
for f in fragment6(big, 120):
    peer1.send(f); sleep(0.02)
sleep(0.05)
peer1.send(v6(IPv6ExtHdrRouting(type=0, addresses=["fd99:1::9"], segleft=0), l4=UDP(sport=51004, dport=6001) / b"rt"))
sleep(0.05)
peer1.send(v6(IPv6ExtHdrHopByHop(), l4=TCP(sport=51005, dport=22, flags="S")))
