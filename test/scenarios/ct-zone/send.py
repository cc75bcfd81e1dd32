import socket as S
h, p = "10.99.1.1", "10.99.1.2"
def exchange(port, cport, reply=True, tos=0):
    s = host.socket(S.AF_INET, S.SOCK_DGRAM); s.bind((h, port))
    u = peer1.socket(S.AF_INET, S.SOCK_DGRAM); u.bind((p, cport))
    u.setsockopt(S.IPPROTO_IP, S.IP_TOS, tos)
    u.sendto(b"zone?", (h, port)); sleep(0.05)
    d, addr = s.recvfrom(100)
    if reply:
        s.sendto(b"zone!", addr); sleep(0.05); u.recvfrom(100)
    s.close(); u.close()
exchange(5400, 40350)                    # zone 5 both ways
exchange(5401, 40351, reply=False)       # zone 0
exchange(5401, 40351, reply=False, tos=0xb8)   # same tuple, dscp ef: zone 9, a second entry
exchange(5402, 40352)                    # request zone 5, reply zone 0: two entries
