h, c5 = "10.99.1.1", "10.99.1.5"
CT, HT = 0x11111111, 0x22222222        # the client's and the host's verification tags
n = [0]
def C(tag, chunk, sport=40400):
    n[0] += 1
    peer1.send(IP(src=c5, dst=h, id=n[0]) / SCTP(sport=sport, dport=9000, tag=tag) / chunk); sleep(0.05)
def H(tag, chunk, sport=40400):
    n[0] += 1
    host.raw(IP(src=h, dst=c5, id=n[0]) / SCTP(sport=9000, dport=sport, tag=tag) / chunk); sleep(0.05)
cookie = SCTPChunkParamStateCookie(cookie=b"C" * 16)
C(0, SCTPChunkInit(init_tag=CT, a_rwnd=65536, n_out_streams=1, n_in_streams=1, init_tsn=100))
H(CT, SCTPChunkInitAck(init_tag=HT, a_rwnd=65536, n_out_streams=1, n_in_streams=1, init_tsn=500, params=[cookie]))
C(HT, SCTPChunkCookieEcho(cookie=b"C" * 16))
H(CT, SCTPChunkCookieAck())
C(HT, SCTPChunkData(tsn=100, stream_id=0, stream_seq=0, data=b"sctp data"))
H(CT, SCTPChunkSACK(cumul_tsn_ack=100, a_rwnd=65536))
H(CT, SCTPChunkHeartbeatReq(params=[SCTPChunkParamHeartbeatInfo(data=b"hb")]))
C(HT, SCTPChunkHeartbeatAck(params=[SCTPChunkParamHeartbeatInfo(data=b"hb")]))
C(HT, SCTPChunkShutdown(cumul_tsn_ack=500))
H(CT, SCTPChunkShutdownAck())
C(HT, SCTPChunkShutdownComplete())
C(0x12345678, SCTPChunkData(tsn=101, stream_id=0, stream_seq=1, data=b"wrong tag"))
C(0x5555, SCTPChunkInit(init_tag=0x33333333, a_rwnd=65536, n_out_streams=1, n_in_streams=1, init_tsn=1), sport=40401)
