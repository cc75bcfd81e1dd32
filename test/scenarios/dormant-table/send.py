# Three datagrams to a port the active table accepts; the dormant table
# would have marked them (then dropped by the active table) and counted them.
for i in range(3):
    peer1.send(IP(src="10.99.1.2", dst="10.99.1.1", id=i) / UDP(sport=49200, dport=4000) / (b"D" * 20))
    sleep(0.05)
