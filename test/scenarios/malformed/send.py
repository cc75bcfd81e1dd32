h, p = "10.99.1.1", "10.99.1.2"
ok = IP(src=p, dst=h, id=1) / TCP(sport=54000, dport=80, flags="S")
pk = [
    IP(src=p, dst=h, id=2, ihl=4) / TCP(sport=54001, dport=80, flags="S"),         # ihl 4
    IP(src=p, dst=h, id=3, ihl=15) / TCP(sport=54002, dport=80, flags="S"),        # ihl 15 > packet
    IP(src=p, dst=h, id=4, version=5) / UDP(sport=54003, dport=9),                 # version 5
    IP(src=p, dst=h, id=5, len=200) / UDP(sport=54004, dport=9),                   # total length > frame
    IP(bytes(IP(src=p, dst=h, id=6, proto=6, len=30) / b"\xd2\xf4\x00\x50\x00\x00\x00\x01\x00\x00")),  # 10-byte tcp
    IP(src=p, dst=h, id=7) / TCP(sport=54006, dport=80, flags="S", dataofs=3),     # doff 3
    IP(src=p, dst=h, id=8) / TCP(sport=54007, dport=80, flags="S", dataofs=15),    # doff 15 > segment
    IP(src=p, dst=h, id=9, proto=17, len=24) / b"\xd3\x00\x00\x09",               # 4-byte udp
    IP(src=p, dst=h, id=10) / UDP(sport=54009, dport=9, len=4) / b"xxxx",          # udp length 4
    IP(src=p, dst=h, id=11, chksum=0x1234) / UDP(sport=54010, dport=9),            # bad ip checksum
    ok,
]
for x in pk:
    peer1.send(x); sleep(0.05)
