# peer1 (10.99.3.2) and peer2 (10.99.3.3) behind br0 (10.99.3.1).
b, p1, p2 = "10.99.3.1", "10.99.3.2", "10.99.3.3"
m1, m2, mb = peer1.mac(), peer2.mac(), "02:00:00:00:03:01"
peer1.send(Ether(src=m1, dst=m2) / IP(src=p1, dst=p2, id=1) / ICMP(id=3, seq=1))   # bridged, peer2 replies
sleep(0.05)
peer1.send(Ether(src=m1, dst=mb) / IP(src=p1, dst=b, id=2) / ICMP(id=3, seq=2))    # to br0, host replies
sleep(0.05)
peer1.send(Ether(src=m1, dst=m2) / IP(src=p1, dst=p2, id=3) / UDP(sport=44000, dport=9) / b"drop")
sleep(0.05)
peer1.send(Ether(src=m1, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=m1, psrc=p1, pdst="10.99.3.1"))  # flooded + local
sleep(0.05)
peer2.send(Ether(src="02:00:00:00:03:02", dst=mb) / IP(src=p1, dst=b, id=4) / ICMP(id=3, seq=3))  # spoofed mac: drop
sleep(0.05)
peer1.send(Ether(src=m1, dst=m2) / IPv6(src="fd99:3::2", dst="fd99:3::3") / ICMPv6EchoRequest(id=4, seq=1))
sleep(0.05)
peer1.send(Ether(src=m1, dst="02:00:00:00:09:09") / IP(src=p1, dst="10.99.3.9", id=5) / UDP(sport=44001, dport=7))  # unknown dst: flooded
