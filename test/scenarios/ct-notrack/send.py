import socket as S
h, p = "10.99.1.1", "10.99.1.2"
srv = host.socket(S.AF_INET, S.SOCK_STREAM)
srv.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)
srv.bind((h, 8000)); srv.listen(4)
c = peer1.socket(S.AF_INET, S.SOCK_STREAM); c.settimeout(2)
c.bind((p, 40260)); c.connect((h, 8000)); sleep(0.05)
a, _ = srv.accept()
c.send(b"untracked\n"); sleep(0.05)
a.recv(100); a.send(b"indeed\n"); sleep(0.05)
c.recv(100)
a.close(); sleep(0.05); c.close(); sleep(0.1)
for port, cport in ((5000, 40261), (5001, 40262), (5002, 40263)):
    s = host.socket(S.AF_INET, S.SOCK_DGRAM); s.bind((h, port))
    u = peer1.socket(S.AF_INET, S.SOCK_DGRAM); u.bind((p, cport))
    u.sendto(b"req", (h, port)); sleep(0.05)
    d, addr = s.recvfrom(100); s.sendto(b"rep", addr); sleep(0.05)
    u.recvfrom(100); s.close(); u.close()
