# peer1 (10.99.1.2) <-> router <-> peer2 (10.99.2.2); peers' kernels answer.
p1, p2 = "10.99.1.2", "10.99.2.2"
peer1.send(IP(src=p1, dst=p2, id=1) / ICMP(id=1, seq=1) / b"fwd")      # forwarded, peer2 replies
sleep(0.05)
peer1.send(IP(src=p1, dst=p2, id=2, ttl=1) / ICMP(id=1, seq=2))        # ttl expires: icmp time-exceeded
sleep(0.05)
peer1.send(IP(src=p1, dst=p2, id=3, ttl=5) / TCP(sport=42000, dport=80, flags="S"))  # peer2 RST
sleep(0.05)
peer1.send(IP(src=p1, dst=p2, id=4) / UDP(sport=42001, dport=53) / b"q")   # policy drop
sleep(0.05)
peer2.send(IP(src=p1, dst=p2, id=5) / UDP(sport=42002, dport=9) / b"spoof")  # spoofed: prerouting drop
sleep(0.05)
peer1.send(IPv6(src="fd99:1::2", dst="fd99:2::2") / ICMPv6EchoRequest(id=2, seq=1))
sleep(0.05)
peer1.send(IPv6(src="fd99:1::2", dst="fd99:2::2", hlim=1) / ICMPv6EchoRequest(id=2, seq=2))
sleep(0.05)
peer1.send(IP(src=p1, dst="10.99.9.9", id=6) / ICMP(id=1, seq=3))     # no route: net unreachable
