import socket as S
h, p = "10.99.1.1", "10.99.1.2"
ha = host.socket(S.AF_INET, S.SOCK_DGRAM); ha.bind((h, 6100))      # receives A, never answers at first
pa = peer1.socket(S.AF_INET, S.SOCK_DGRAM); pa.bind((p, 40290))
hb = host.socket(S.AF_INET, S.SOCK_DGRAM); hb.bind((h, 6101))
pb = peer1.socket(S.AF_INET, S.SOCK_DGRAM); pb.bind((p, 40291))
def b_exchange(msg, answer=True):
    pb.sendto(msg, (h, 6101)); sleep(0.05)
    d, addr = hb.recvfrom(100)
    if answer:
        hb.sendto(b"re:" + d, addr); sleep(0.05); pb.recvfrom(100)
pa.sendto(b"A, unanswered", (h, 6100)); sleep(0.05)
peer1.send(IP(src=p, dst=h, id=1) / ICMP(type=8, id=0x5151, seq=1)); sleep(0.05)
b_exchange(b"B1")
srv = host.socket(S.AF_INET, S.SOCK_STREAM); srv.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)
srv.bind((h, 8080)); srv.listen(2)
c = peer1.socket(S.AF_INET, S.SOCK_STREAM); c.settimeout(2); c.bind((p, 40292)); c.connect((h, 8080)); sleep(0.05)
a, _ = srv.accept()
a.close(); sleep(0.1); c.close(); sleep(0.1)                         # host closes first -> TIME_WAIT (2 s)
sleep(0.5)
b_exchange(b"B2", answer=False)                                     # t ~ 1 s
sleep(0.9)
b_exchange(b"B3")                                                   # t ~ 2 s: assured, stream timeout
sleep(1.2)
ha.sendto(b"A, reverse", (p, 40290)); sleep(0.05)                    # t ~ 3.5 s: new flow from the host
pa.recvfrom(100)
peer1.send(IP(src=p, dst=h, id=2) / ICMP(type=8, id=0x5151, seq=2)); sleep(0.05)   # same id: new
b_exchange(b"B4")
