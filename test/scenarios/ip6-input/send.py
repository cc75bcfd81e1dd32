# peer1 -> host over IPv6: echo (hoplimit 64 accepted, 10 policy drop), neighbour
# solicitation (host answers), tcp 80 (RST), udp 53 (rejected), udp 7 (policy drop).
h, p, ll = "fd99:1::1", "fd99:1::2", "fe80::2"
peer1.send(IPv6(src=p, dst=h) / ICMPv6EchoRequest(id=7, seq=1, data=b"v6ping"))
sleep(0.05)
peer1.send(IPv6(src=p, dst=h, hlim=10) / ICMPv6EchoRequest(id=7, seq=2, data=b"v6ping"))
sleep(0.05)
peer1.send(Ether(src=peer1.mac(), dst="33:33:ff:00:00:01") / IPv6(src=ll, dst="ff02::1:ff00:1", hlim=255)
           / ICMPv6ND_NS(tgt="fd99:1::1") / ICMPv6NDOptSrcLLAddr(lladdr=peer1.mac()))
sleep(0.05)
peer1.send(IPv6(src=p, dst=h) / TCP(sport=41000, dport=80, flags="S", seq=5))
sleep(0.05)
peer1.send(IPv6(src=p, dst=h) / UDP(sport=41001, dport=53) / b"dns?")
sleep(0.05)
peer1.send(IPv6(src=p, dst=h) / UDP(sport=41002, dport=7) / b"echo")
