import socket as S
h, p, c5 = "10.99.1.1", "10.99.1.2", "10.99.1.5"
# 1. real sockets: peer1:40190 -> host:8080 twice; the host closes first
srv = host.socket(S.AF_INET, S.SOCK_STREAM)
srv.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)
srv.bind((h, 8080)); srv.listen(4)
for msg in (b"first\n", b"second\n"):
    c = peer1.socket(S.AF_INET, S.SOCK_STREAM); c.settimeout(2)
    c.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)
    c.bind((p, 40190)); c.connect((h, 8080)); sleep(0.05)
    a, _ = srv.accept()
    c.send(msg); sleep(0.05)
    a.recv(100)
    a.close(); sleep(0.1)        # host FIN first
    c.recv(100)
    c.close(); sleep(0.2)
srv.close()
n = [0]
def C(flags, seq, ack=0, sport=40191, dport=9090):
    n[0] += 1
    peer1.send(IP(src=c5, dst=h, id=n[0]) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=8192))
    sleep(0.05)
def H(flags, seq, ack=0, sport=40191, dport=9090):
    n[0] += 1
    host.raw(IP(src=h, dst=c5, id=n[0], ttl=77) / TCP(sport=dport, dport=sport, flags=flags, seq=seq, ack=ack, window=8192))
    sleep(0.05)
# 2. crafted 10.99.1.5:40191 -> host:9090, FIN close to TIME_WAIT, then the host sends a SYN on the tuple
C("S", 1000); H("SA", 7000, 1001); C("A", 1001, 7001)
C("FA", 1001, 7001); H("FA", 7001, 1002); C("A", 1002, 7002)
H("S", 90000)                      # role switch: reply-side SYN in TIME_WAIT
C("SA", 40000, 90001)
H("A", 90001, 40001)
# 3. crafted 10.99.1.5:40192 -> host:9090, host RST close, then the client SYNs again
C("S", 1000, sport=40192); H("SA", 7000, 1001, sport=40192); C("A", 1001, 7001, sport=40192)
H("R", 7001, sport=40192)
C("S", 20000, sport=40192)         # SYN in CLOSE after the other side's RST: ignored
H("SA", 30000, 20001, sport=40192) # acknowledges it: resynchronise
C("A", 20001, 30001, sport=40192)
