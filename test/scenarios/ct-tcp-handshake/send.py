# peer1 connects to a listener on the host (port 8080), both send data, the
# client half-closes first (FIN -> FIN_WAIT/CLOSE_WAIT), then the server closes
# (LAST_ACK -> TIME_WAIT).
import socket as S
h, p = "10.99.1.1", "10.99.1.2"
srv = host.socket(S.AF_INET, S.SOCK_STREAM)
srv.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)
srv.bind((h, 8080)); srv.listen(4)
c = peer1.socket(S.AF_INET, S.SOCK_STREAM)
c.settimeout(2)
c.bind((p, 40100))
c.connect((h, 8080)); sleep(0.05)
a, _ = srv.accept()
c.send(b"GET /index\n"); sleep(0.05)
a.recv(100)
a.send(b"200 OK, here is the body\n"); sleep(0.05)
c.recv(100)
c.send(b"thanks\n"); sleep(0.05)
a.recv(100)
c.shutdown(S.SHUT_WR); sleep(0.1)
a.recv(100)
a.close(); sleep(0.1)
c.recv(100)
c.close(); sleep(0.1)
