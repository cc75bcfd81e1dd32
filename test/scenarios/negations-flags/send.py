h, p = "10.99.1.1", "10.99.1.2"
for i, fl in enumerate(["S", "SA", "A", "FPU", "", "R", "RA", "F", "FA", "SEC", "PA"]):
    peer1.send(IP(src=p, dst=h, id=400 + i) / TCP(sport=48000 + i, dport=8000, flags=fl, seq=1, ack=1 if "A" in fl else 0))
    sleep(0.05)
peer1.send(IP(src=p, dst=h, id=420) / TCP(sport=48100, dport=22, flags="S"))
sleep(0.05)
peer1.send(IP(src="172.16.0.1", dst=h, id=421) / UDP(sport=48101, dport=150))
sleep(0.05)
peer1.send(IP(src=p, dst=h, id=422, tos=0xb8) / UDP(sport=48102, dport=300))   # dscp ef
sleep(0.05)
peer1.send(IP(src=p, dst=h, id=423, tos=0x03) / UDP(sport=48103, dport=150))   # ecn ce
sleep(0.05)
peer1.send(IP(src=p, dst="10.99.1.77", id=424) / UDP(sport=48104, dport=150))  # not ours: no input hook
sleep(0.05)
peer1.send(IPv6(src="fd99:1::2", dst="fd99:1::1", hlim=3) / UDP(sport=48105, dport=150))
