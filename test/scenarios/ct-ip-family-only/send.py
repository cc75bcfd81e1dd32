import socket as S
for fam, h, p in ((S.AF_INET, "10.99.1.1", "10.99.1.2"), (S.AF_INET6, "fd99:1::1", "fd99:1::2")):
    if fam == S.AF_INET:
        peer1.send(IP(src=p, dst=h, id=1) / ICMP(type=8, id=0x4141, seq=1)); sleep(0.1)
    else:
        peer1.send(IPv6(src=p, dst=h) / ICMPv6EchoRequest(id=0x4141, seq=1)); sleep(0.1)
    s = host.socket(fam, S.SOCK_DGRAM); s.bind((h, 5300))
    u = peer1.socket(fam, S.SOCK_DGRAM); u.bind((p, 40330))
    u.sendto(b"family?", (h, 5300)); sleep(0.05)
    d, addr = s.recvfrom(100); s.sendto(b"answer", addr); sleep(0.05)
    u.recvfrom(100); s.close(); u.close()
