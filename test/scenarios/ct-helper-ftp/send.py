# a minimal passive-mode ftp dialogue: peer1 connects to the host's control
# port, asks PASV, the host answers with a data port, peer1 connects to it.
import socket as S
h, p = "10.99.1.1", "10.99.1.2"
def session(ctrl_port, data_port, cport):
    srv = host.socket(S.AF_INET, S.SOCK_STREAM); srv.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)
    srv.bind((h, ctrl_port)); srv.listen(1)
    dsrv = host.socket(S.AF_INET, S.SOCK_STREAM); dsrv.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)
    dsrv.bind((h, data_port)); dsrv.listen(1)
    c = peer1.socket(S.AF_INET, S.SOCK_STREAM); c.settimeout(2); c.bind((p, cport))
    c.connect((h, ctrl_port)); sleep(0.05)
    a, _ = srv.accept()
    a.send(b"220 nftvm test ftp\r\n"); sleep(0.05); c.recv(100)
    c.send(b"PASV\r\n"); sleep(0.05); a.recv(100)
    a.send(b"227 Entering Passive Mode (10,99,1,1,%d,%d).\r\n" % (data_port >> 8, data_port & 255)); sleep(0.05)
    c.recv(100)
    d = peer1.socket(S.AF_INET, S.SOCK_STREAM); d.settimeout(2); d.bind((p, cport + 1))
    d.connect((h, data_port)); sleep(0.05)
    da, _ = dsrv.accept()
    da.send(b"file contents\n"); sleep(0.05); d.recv(100)
    da.close(); sleep(0.05); d.close(); sleep(0.05)
    c.send(b"QUIT\r\n"); sleep(0.05); a.recv(100)
    a.send(b"221 bye\r\n"); sleep(0.05)
    a.close(); sleep(0.05); c.close(); sleep(0.1)
    srv.close(); dsrv.close()
session(21, 50000, 40410)
session(2121, 50002, 40420)
