import socket as S
h, p = "10.99.1.1", "10.99.1.2"
s = host.socket(S.AF_INET, S.SOCK_DGRAM); s.bind((h, 6000))
a = peer1.socket(S.AF_INET, S.SOCK_DGRAM); a.bind((p, 40210))   # slow stream
b = peer1.socket(S.AF_INET, S.SOCK_DGRAM); b.bind((p, 40211))   # quick exchanges
q = peer1.socket(S.AF_INET, S.SOCK_DGRAM); q.bind((p, 40212))   # never answered
def ask(c, msg, answer=True):
    c.sendto(msg, (h, 6000)); sleep(0.05)
    d, addr = s.recvfrom(100)
    if answer:
        s.sendto(b"re:" + d, addr); sleep(0.05)
        c.recvfrom(100)
ask(a, b"a1")
ask(b, b"b1"); ask(b, b"b2"); ask(b, b"b3")
ask(q, b"q1", answer=False)
sleep(2.3)
ask(a, b"a2")                      # > 2 s after creation: assured
ask(q, b"q2", answer=False)        # no reply ever: stays unreplied
ask(a, b"a3")
