# udp 1000..1006 from peer1: each port is decided by a different base chain.
for port in range(1000, 1007):
    peer1.send(IP(src="10.99.1.2", dst="10.99.1.1", id=port) / UDP(sport=46000, dport=port) / b"prio")
    sleep(0.05)
