import socket as S
h, p = "10.99.1.1", "10.99.1.2"
for fam, src, dst in ((S.AF_INET, p, h), (S.AF_INET6, "fd99:1::2", "fd99:1::1")):
    c = peer1.socket(fam, S.SOCK_DGRAM); c.bind((src, 40220))      # to the host's closed port
    c.sendto(b"anyone?", (dst, 7000)); sleep(0.1)
    c.sendto(b"anyone at all?", (dst, 7000)); sleep(0.1)
    c.close()
    u = host.socket(fam, S.SOCK_DGRAM); u.bind((dst, 40221))       # to peer1's closed port
    u.sendto(b"hello?", (src, 7001)); sleep(0.1)
    u.close()
