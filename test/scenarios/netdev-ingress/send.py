h, p = "10.99.1.1", "10.99.1.2"
peer1.send(IP(src=p, dst=h, id=1) / ICMP(id=5, seq=1))
sleep(0.05)
peer1.send(IP(src=p, dst=h, id=2) / UDP(sport=45000, dport=9) / b"x")
sleep(0.05)
peer1.send(IP(src=p, dst=h, id=3) / TCP(sport=45001, dport=22, flags="S"))
sleep(0.05)
peer1.send(Ether(src=peer1.mac(), dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=peer1.mac(), psrc=p, pdst=h))
sleep(0.05)
peer1.send(IPv6(src="fd99:1::2", dst="fd99:1::1") / ICMPv6EchoRequest(id=6, seq=1))
sleep(0.05)
peer1.send(Ether(src="02:00:00:00:00:66", dst=peer1.partner_mac("eth0")) / IP(src=p, dst=h, id=4) / ICMP(id=5, seq=2))
sleep(0.05)
peer1.send(Ether(src=peer1.mac(), dst="02:00:00:00:00:77") / IP(src=p, dst=h, id=5) / ICMP(id=5, seq=3))  # other host: pkttype otherhost
