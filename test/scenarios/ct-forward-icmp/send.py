import socket as S
p1, p2 = "10.99.1.2", "10.99.2.2"
u = peer1.socket(S.AF_INET, S.SOCK_DGRAM); u.bind((p1, 40380))
u.sendto(b"closed?", (p2, 7400)); sleep(0.1)                 # peer2: port unreachable, forwarded back
peer1.send(IP(src=p1, dst=p2, id=1, ttl=1) / UDP(sport=40381, dport=7401) / b"ttl1 first"); sleep(0.1)   # time exceeded, flow never confirmed
ps = peer2.socket(S.AF_INET, S.SOCK_DGRAM); ps.bind((p2, 7402))
peer1.send(IP(src=p1, dst=p2, id=2) / UDP(sport=40382, dport=7402) / b"first"); sleep(0.1)          # flow confirmed
peer1.send(IP(src=p1, dst=p2, id=3, ttl=1) / UDP(sport=40382, dport=7402) / b"ttl1 later"); sleep(0.1)   # time exceeded: related
peer1.send(IP(src=p1, dst=p2, id=4, ttl=1) / ICMP(type=8, id=0x7474, seq=1)); sleep(0.1)
peer1.send(IP(src=p1, dst=p2, id=5) / ICMP(type=8, id=0x7474, seq=2)); sleep(0.1)
peer1.send(IPv6(src="fd99:1::2", dst="fd99:2::2") / ICMPv6EchoRequest(id=0x7575, seq=1)); sleep(0.1)
peer1.send(IPv6(src="fd99:1::2", dst="fd99:2::2", hlim=1) / ICMPv6EchoRequest(id=0x7575, seq=2)); sleep(0.1)
