# two connections to a listener on the host (8080); the first is aborted by the
# client (RST from peer1), the second by the host (RST from the host).
import socket as S, struct
h, p = "10.99.1.1", "10.99.1.2"
LINGER0 = struct.pack("ii", 1, 0)
srv = host.socket(S.AF_INET, S.SOCK_STREAM)
srv.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)
srv.bind((h, 8080)); srv.listen(4)
c = peer1.socket(S.AF_INET, S.SOCK_STREAM); c.settimeout(2)
c.bind((p, 40110)); c.connect((h, 8080)); sleep(0.05)
a, _ = srv.accept()
c.send(b"hello\n"); sleep(0.05)
a.send(b"hi\n"); sleep(0.05)
c.setsockopt(S.SOL_SOCKET, S.SO_LINGER, LINGER0)
c.close(); sleep(0.1)                     # client RST
a.close(); sleep(0.05)
c = peer1.socket(S.AF_INET, S.SOCK_STREAM); c.settimeout(2)
c.bind((p, 40111)); c.connect((h, 8080)); sleep(0.05)
a, _ = srv.accept()
c.send(b"hello again\n"); sleep(0.05)
a.recv(100)
a.setsockopt(S.SOL_SOCKET, S.SO_LINGER, LINGER0)
a.close(); sleep(0.1)                     # host RST
c.close(); sleep(0.05)
