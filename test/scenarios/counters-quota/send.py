for i in range(6):
    peer1.send(IP(src="10.99.1.2", dst="10.99.1.1", id=i) / UDP(sport=49100, dport=4000) / (b"Q" * 100))
    sleep(0.05)
for i in range(4):
    peer1.send(IP(src="10.99.1.2", dst="10.99.1.1", id=10 + i) / UDP(sport=49101, dport=4001) / (b"R" * 50))
    sleep(0.05)
