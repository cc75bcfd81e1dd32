import socket as S
h, p = "10.99.1.1", "10.99.1.2"
srv = host.socket(S.AF_INET, S.SOCK_STREAM); srv.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)
srv.bind((h, 8080)); srv.listen(8)
conns = []
for i in range(4):                                  # 4 assured connections fill the table
    c = peer1.socket(S.AF_INET, S.SOCK_STREAM); c.settimeout(2)
    c.bind((p, 40310 + i)); c.connect((h, 8080)); sleep(0.05)
    a, _ = srv.accept()
    c.send(b"hold %d\n" % i); sleep(0.05)
    conns.append((c, a))
c = peer1.socket(S.AF_INET, S.SOCK_STREAM); c.settimeout(1.5)
c.bind((p, 40320))
try: c.connect((h, 8080))                           # SYN + 1 retransmission, both dropped
except OSError: pass
c.close(); sleep(0.05)
peer1.send(IP(src=p, dst=h, id=1) / ICMP(type=8, id=0x7272, seq=1)); sleep(0.1)
conns[0][0].send(b"still there\n"); sleep(0.05)     # existing entries keep working
