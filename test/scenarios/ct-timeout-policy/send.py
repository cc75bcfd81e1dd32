import socket as S
h, p = "10.99.1.1", "10.99.1.2"
for port, cport in ((5500, 40430), (5501, 40431)):
    s = host.socket(S.AF_INET, S.SOCK_DGRAM); s.bind((h, port))
    u = peer1.socket(S.AF_INET, S.SOCK_DGRAM); u.bind((p, cport))
    u.sendto(b"q", (h, port)); sleep(0.05)
    d, a = s.recvfrom(10); s.sendto(b"a", a); sleep(0.05); u.recvfrom(10)
    u.sendto(b"q2", (h, port)); sleep(0.05)
for port, cport in ((8080, 40432), (8081, 40433)):
    srv = host.socket(S.AF_INET, S.SOCK_STREAM); srv.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)
    srv.bind((h, port)); srv.listen(1)
    c = peer1.socket(S.AF_INET, S.SOCK_STREAM); c.settimeout(2); c.bind((p, cport))
    c.connect((h, port)); sleep(0.05)
    a, _ = srv.accept()
    c.send(b"x"); sleep(0.05); a.recv(10)
    a.close(); sleep(0.1); c.close(); sleep(0.1)         # host closes first: TIME_WAIT
