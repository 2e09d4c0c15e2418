export { type Datagram, Peer, type PeerOptions, type RecvFromResult } from './peer.ts';
