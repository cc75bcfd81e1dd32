import socket as S
h, p = "10.99.1.1", "10.99.1.2"
u = host.socket(S.AF_INET, S.SOCK_DGRAM); u.bind((h, 40240))
peer1s = peer1.socket(S.AF_INET, S.SOCK_DGRAM); peer1s.bind((p, 7100))   # so peer1 does not answer
u.sendto(b"known flow", (p, 7100)); sleep(0.1)                           # host -> peer1:7100, new
known = bytes(IP(src=h, dst=p, id=5, ttl=64) / UDP(sport=40240, dport=7100) / b"known flow")
def E(inner, t=3, c=3, i=0, **kw):
    peer1.send(IP(src=p, dst=h, id=100 + i) / ICMP(type=t, code=c, **kw) / inner); sleep(0.05)
E(bytes(IP(src=h, dst=p) / UDP(sport=40241, dport=7101) / b"x"), i=1)                   # unknown udp flow
E(bytes(IP(src=h, dst=p) / TCP(sport=40242, dport=7102, flags="S"))[:28], i=2)           # unknown tcp flow
E(bytes(IP(src=h, dst=p) / ICMP(type=8, id=999, seq=1)), i=3)                             # unknown echo
E(known[:12], i=4)                                                                         # inner IP header cut at 12 bytes
E(known[:22], i=5)                                                                         # inner udp header: 2 bytes
E(known[:20], i=6)                                                                         # inner IP header only
E(known, i=7, chksum=0xdead)                                                               # bad icmp checksum
frag = IP(src=h, dst=p, id=6, frag=10) / UDP(sport=40240, dport=7100)                     # inner non-first fragment
E(bytes(frag)[:28], i=8)
E(bytes(IP(src=h, dst=p) / ICMP(type=3, code=3) / known[:28]), i=9)                       # error quoting an error
E(known[:24], i=12)                                                                         # inner udp header: 4 bytes (ports only)
E(known[:28], t=12, c=0, i=10)                                                              # parameter problem, 8 bytes: related
E(known, i=11)                                                                              # complete: related
