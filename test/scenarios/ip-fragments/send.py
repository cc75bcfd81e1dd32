h, p = "10.99.1.1", "10.99.1.2"
for f in fragment(IP(src=p, dst=h, id=0x4242) / UDP(sport=52000, dport=7000) / (b"A" * 100), fragsize=40):
    peer1.send(f); sleep(0.02)
sleep(0.05)
fr = fragment(IP(src=p, dst=h, id=0x4343) / ICMP(id=3, seq=1) / (b"B" * 60), fragsize=32)
for f in reversed(fr):      # out of order
    peer1.send(f); sleep(0.02)
sleep(0.05)
for f in fragment(IP(src=p, dst=h, id=0x4444) / UDP(sport=52001, dport=7001) / (b"C" * 60), fragsize=32):
    peer1.send(f); sleep(0.02)
