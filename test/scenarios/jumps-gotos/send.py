for port in range(2001, 2008):
    peer1.send(IP(src="10.99.1.2", dst="10.99.1.1", id=port) / UDP(sport=3000, dport=port) / b"jump")
    sleep(0.05)
peer1.send(IP(src="10.99.1.2", dst="10.99.1.1", id=2100) / UDP(sport=3001, dport=2007) / b"jump")
sleep(0.05)
peer1.send(IP(src="10.99.1.2", dst="10.99.1.1", id=2101) / UDP(sport=3002, dport=2001) / b"jump")
