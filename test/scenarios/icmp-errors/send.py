import socket as S
h, p = "10.99.1.1", "10.99.1.2"
peer1.send(IP(src=p, dst=h, id=1) / UDP(sport=55000, dport=9999) / b"closed")      # host: port unreachable
sleep(0.05)
u = host.socket(S.AF_INET, S.SOCK_DGRAM)
u.bind((h, 55001))
u.sendto(b"hello", (p, 55002))                                   # peer1 kernel: port unreachable (related)
sleep(0.1)
inner = IP(src=h, dst=p, id=99) / UDP(sport=55001, dport=55003)                   # unknown flow quoted
peer1.send(IP(src=p, dst=h, id=2) / ICMP(type=3, code=3) / bytes(inner)[:28])
sleep(0.05)
peer1.send(IP(src=p, dst=h, id=3) / ICMP(type=11, code=0) / bytes(IP(src=h, dst="10.99.9.9") / UDP(sport=1, dport=2))[:28])
sleep(0.05)
u6 = host.socket(S.AF_INET6, S.SOCK_DGRAM)
u6.bind(("fd99:1::1", 55004))
u6.sendto(b"hello6", ("fd99:1::2", 55005))                       # peer1 kernel: icmpv6 port unreachable
sleep(0.1)
q6 = IPv6(src="fd99:1::1", dst="fd99:1::2") / UDP(sport=55004, dport=55005) / b"hello6"
peer1.send(IPv6(src="fd99:1::2", dst="fd99:1::1") / ICMPv6PacketTooBig(mtu=1280) / bytes(q6))
sleep(0.05)
peer1.send(IPv6(src="fd99:1::2", dst="fd99:1::1") / ICMPv6TimeExceeded() / bytes(IPv6(src="fd99:1::1", dst="fd99:9::9") / UDP(sport=3, dport=4)))
