h, p = "10.99.1.1", "10.99.1.2"
for f in fragment(IP(src=p, dst=h, id=0x5151) / UDP(sport=53000, dport=7000) / (b"A" * 100), fragsize=40):
    peer1.send(f); sleep(0.02)
sleep(0.05)
for f in fragment(IP(src=p, dst=h, id=0x5252) / ICMP(id=4, seq=1) / (b"B" * 60), fragsize=32):
    peer1.send(f); sleep(0.02)
sleep(0.05)
big = IPv6(src="fd99:1::2", dst="fd99:1::1") / IPv6ExtHdrFragment(id=0x99) / UDP(sport=53001, dport=7001) / (b"F" * 150)
for f in fragment6(big, 100):
    peer1.send(f); sleep(0.02)
