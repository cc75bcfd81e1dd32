# connect() from peer1 to closed ports of the host (ECONNREFUSED), v4 and v6,
# a crafted SYN to another closed port, a SYN the host's input chain drops.
import socket as S
h, p = "10.99.1.1", "10.99.1.2"
c = peer1.socket(S.AF_INET, S.SOCK_STREAM); c.settimeout(1)
c.bind((p, 40120))
try: c.connect((h, 9))
except OSError: pass
c.close(); sleep(0.1)
peer1.send(IP(src=p, dst=h, id=1) / TCP(sport=40121, dport=10, flags="S", seq=1000, window=8192)); sleep(0.1)
peer1.send(IP(src=p, dst=h, id=2) / TCP(sport=40122, dport=11, flags="S", seq=2000, window=8192)); sleep(0.1)
c = peer1.socket(S.AF_INET6, S.SOCK_STREAM); c.settimeout(1)
c.bind(("fd99:1::2", 40123))
try: c.connect(("fd99:1::1", 9))
except OSError: pass
c.close(); sleep(0.1)
