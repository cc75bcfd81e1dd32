h, p, h6, p6 = "10.99.1.1", "10.99.1.2", "fd99:1::1", "fd99:1::2"
pk = [IP(src=p, dst=h, id=1) / TCP(sport=50001, dport=5001, flags="S", seq=100),
      IP(src=p, dst=h, id=2) / UDP(sport=50002, dport=5002) / b"r",
      IP(src=p, dst=h, id=3) / UDP(sport=50003, dport=5003) / b"r",
      IP(src=p, dst=h, id=4) / UDP(sport=50004, dport=5004) / b"r",
      IPv6(src=p6, dst=h6) / UDP(sport=50004, dport=5004) / b"r",
      IPv6(src=p6, dst=h6) / UDP(sport=50005, dport=5005) / b"r",
      IPv6(src=p6, dst=h6) / TCP(sport=50006, dport=5006, flags="S"),
      IP(src=p, dst=h, id=5) / TCP(sport=50006, dport=5006, flags="PA", seq=7, ack=9) / b"data",
      IP(src=p, dst=h, id=6) / ICMP(id=9, seq=1)]
for x in pk:
    peer1.send(x); sleep(0.05)
