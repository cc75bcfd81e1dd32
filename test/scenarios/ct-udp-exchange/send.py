import socket as S
h, p = "10.99.1.1", "10.99.1.2"
def exchange(server, client, fam, saddr, caddr, sport, cport):
    s = server.socket(fam, S.SOCK_DGRAM); s.bind((saddr, sport))
    c = client.socket(fam, S.SOCK_DGRAM); c.bind((caddr, cport))
    c.sendto(b"query", (saddr, sport)); sleep(0.05)
    d, a = s.recvfrom(100)
    s.sendto(b"answer", a); sleep(0.05)
    c.recvfrom(100)
    s.close(); c.close()
exchange(host, peer1, S.AF_INET, h, p, 5353, 40200)              # host is the server
exchange(peer1, host, S.AF_INET, p, h, 5353, 40201)              # host is the client
exchange(host, peer1, S.AF_INET6, "fd99:1::1", "fd99:1::2", 5353, 40202)
# crafted: bad checksum (invalid), zero checksum (valid), udp length beyond the packet (invalid)
peer1.send(IP(src=p, dst=h, id=1) / UDP(sport=40203, dport=5354, chksum=0x1234) / b"bad sum"); sleep(0.05)
peer1.send(IP(src=p, dst=h, id=2) / UDP(sport=40204, dport=5354, chksum=0) / b"no sum"); sleep(0.05)
peer1.send(IP(src=p, dst=h, id=3) / UDP(sport=40205, dport=5354, len=200) / b"short"); sleep(0.05)
