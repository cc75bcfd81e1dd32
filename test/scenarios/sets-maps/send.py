h, p = "10.99.1.1", "10.99.1.2"
pkts = [
    IP(src="10.99.1.66", dst=h) / UDP(sport=1, dport=7000),        # @blocked
    IP(src=p, dst=h) / TCP(sport=47000, dport=22, flags="S"),         # @svc
    IP(src=p, dst=h) / UDP(sport=47001, dport=53),                    # @svc
    IP(src="10.99.1.5", dst=h) / TCP(sport=47002, dport=80, flags="S"),   # map mark 0x50
    IP(src="10.99.1.5", dst=h) / TCP(sport=47003, dport=22, flags="S"),   # vmap jump ssh, return
    IP(src="10.99.1.5", dst=h) / TCP(sport=47004, dport=23, flags="S"),   # vmap drop
    IP(src="10.99.1.110", dst=h) / UDP(sport=47005, dport=7000),      # interval hit
    IP(src="10.99.1.50", dst=h) / UDP(sport=47006, dport=7000),       # interval miss
    IPv6(src="fd99:1::2", dst="fd99:1::1") / UDP(sport=47007, dport=2500),
    IPv6(src="fd99:1::2", dst="fd99:1::1") / UDP(sport=47008, dport=3000),
    IP(src=p, dst=h) / UDP(sport=47009, dport=6005),
    IP(src=p, dst=h) / UDP(sport=47010, dport=7001),
    IP(src="10.99.1.3", dst=h) / UDP(sport=47011, dport=7001),
    IP(src=p, dst=h) / TCP(sport=47012, dport=82, flags="S"),
    IP(src=p, dst=h) / TCP(sport=47013, dport=81, flags="S"),
]
for i, pkt in enumerate(pkts):
    if pkt.haslayer(IP):
        pkt[IP].id = 300 + i
    peer1.send(pkt)
    sleep(0.05)
