h6, p6 = "fd99:1::1", "fd99:1::2"
peer1.run("ping", "-6", "-c", "2", "-i", "0.2", "-W", "1", h6); sleep(0.1)   # ND first (dynamic topology), then 2 echoes
host.run("ping", "-6", "-c", "1", "-W", "1", p6); sleep(0.1)                   # host -> peer1 (neighbour already known or ND)
peer1.send(IPv6(src=p6, dst=h6) / ICMPv6EchoRequest(id=0x600d, seq=1) / b"x"); sleep(0.05)
peer1.send(IPv6(src=p6, dst=h6) / ICMPv6EchoRequest(id=0x600d, seq=2) / b"x"); sleep(0.05)
peer1.send(IPv6(src="fe80::2", dst="fe80::1", hlim=255) / ICMPv6ND_RS()); sleep(0.05)
peer1.send(IPv6(src="fe80::2", dst="ff02::16", hlim=1) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / ICMPv6MLReport2()); sleep(0.05)
peer1.send(IPv6(src=p6, dst=h6) / ICMPv6NIQueryNOOP(nonce=b"12345678")); sleep(0.05)
peer1.send(IPv6(src=p6, dst=h6) / ICMPv6EchoReply(id=0xbad, seq=1)); sleep(0.05)
