import socket as S
h6, p6 = "fd99:1::1", "fd99:1::2"
ps = peer1.socket(S.AF_INET6, S.SOCK_DGRAM); ps.bind((p6, 7200))     # bound: peer1 stays silent
u = host.socket(S.AF_INET6, S.SOCK_DGRAM); u.bind((h6, 40250))
u.sendto(b"v6 flow", (p6, 7200)); sleep(0.1)
q = bytes(IPv6(src=h6, dst=p6) / UDP(sport=40250, dport=7200) / b"v6 flow")
def E(err, inner):
    peer1.send(IPv6(src=p6, dst=h6) / err / inner); sleep(0.05)
E(ICMPv6PacketTooBig(mtu=1280), q)                                              # related
E(ICMPv6TimeExceeded(code=0), q)                                                # related
E(ICMPv6DestUnreach(code=3), q[:48])                                            # address unreachable, 8 bytes udp: related
E(ICMPv6ParamProblem(code=0, ptr=6), q)                                         # related
E(ICMPv6DestUnreach(code=3), bytes(IPv6(src=h6, dst=p6) / IPv6ExtHdrHopByHop() / UDP(sport=40250, dport=7200) / b"v6 flow"))  # ext header: related
E(ICMPv6DestUnreach(code=3), bytes(IPv6(src=h6, dst=p6) / UDP(sport=40251, dport=7201) / b"?"))   # unknown flow: invalid
E(ICMPv6DestUnreach(code=3), q[:30])                                            # cut inside the IPv6 header: invalid
peer1.send(IPv6(src="fe80::2", dst=h6, hlim=64) / ICMPv6ND_Redirect(tgt="fe80::2", dst=p6)); sleep(0.05)   # redirect, hop limit 64: invalid
peer1.send(IPv6(src=p6, dst=h6, nh=253) / b"experimental protocol"); sleep(0.1)   # generic tracking; host: parameter problem
