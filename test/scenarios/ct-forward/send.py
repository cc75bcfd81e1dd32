import socket as S
p1, p2 = "10.99.1.2", "10.99.2.2"
srv = peer2.socket(S.AF_INET, S.SOCK_STREAM); srv.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)
srv.bind((p2, 8080)); srv.listen(2)
c = peer1.socket(S.AF_INET, S.SOCK_STREAM); c.settimeout(2); c.bind((p1, 40300)); c.connect((p2, 8080)); sleep(0.05)
a, _ = srv.accept()
c.send(b"through the router\n"); sleep(0.05)
a.recv(100); a.send(b"ok\n"); sleep(0.05); c.recv(100)
c.shutdown(S.SHUT_WR); sleep(0.1); a.close(); sleep(0.1); c.close(); sleep(0.05)
us = peer2.socket(S.AF_INET, S.SOCK_DGRAM); us.bind((p2, 5353))
uc = peer1.socket(S.AF_INET, S.SOCK_DGRAM); uc.bind((p1, 40301))
uc.sendto(b"q", (p2, 5353)); sleep(0.05)
d, addr = us.recvfrom(100); us.sendto(b"a", addr); sleep(0.05); uc.recvfrom(100)
peer1.send(IP(src=p1, dst=p2, id=1) / ICMP(type=8, id=0x7070, seq=1)); sleep(0.1)
peer1.send(IP(src=p1, dst=p2, id=2) / TCP(sport=40302, dport=9999, flags="S", seq=1)); sleep(0.1)   # dropped in forward
peer1.send(IPv6(src="fd99:1::2", dst="fd99:2::2") / ICMPv6EchoRequest(id=0x7171, seq=1)); sleep(0.1)
