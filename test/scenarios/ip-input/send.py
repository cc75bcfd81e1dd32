# peer1 -> host: ping, tcp 22 (listener-less: host answers RST), udp 53 (dropped),
# udp 5005 (accepted, port closed: ICMP port unreachable), udp 6000 (policy drop).
h, p = "10.99.1.1", "10.99.1.2"
for seq in (1, 2):
    peer1.send(IP(src=p, dst=h, id=100 + seq) / ICMP(id=0x1234, seq=seq) / b"nftvm-ping")
    sleep(0.05)
peer1.send(IP(src=p, dst=h, id=200) / TCP(sport=40000, dport=22, flags="S", seq=1000))
sleep(0.05)
peer1.send(IP(src=p, dst=h, id=201) / UDP(sport=40001, dport=53) / b"q")
sleep(0.05)
peer1.send(IP(src=p, dst=h, id=202) / UDP(sport=40002, dport=5005) / b"hello")
sleep(0.05)
peer1.send(IP(src=p, dst=h, id=203) / UDP(sport=40003, dport=6000) / b"x")
sleep(0.05)
peer1.send(IP(src=p, dst=h, id=204) / TCP(sport=40004, dport=23, flags="S"))
