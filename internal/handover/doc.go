// Package handover is the protocol by which a running Sluice daemon (the
// old process) hands over to the process of a new binary (sluice
// upgrade): its listening sockets, its state and its command socket, then
// the right to serve. The two talk over a unix stream socket pair whose
// new process's end is descriptor EnvFD names; descriptors travel with the
// messages as SCM_RIGHTS, so they never pass through a file or the
// command line, and neither do the private keys in the state.
//
// The sequence, each step bounded by the old process's deadline:
//
//	old                                 new
//	Spawn (socket pair, start)  ──►     FromEnv
//	SendOffer (state, sockets,  ──►     ReceiveOffer: adopt the sockets
//	  command socket, stderr)           (accepting held), apply the state
//	Expect(Ready)               ◄──     Send(Ready)
//	Send(Commit)                ──►     Expect(Commit): accept, serve the
//	                                    command socket
//	Expect(Serving)             ◄──     Send(Serving)
//	stop accepting, drain, exit
//
// The new process accepts nothing before Commit: until then a failure on
// either side (the new process exits, says Fail, or misses the deadline)
// leaves the old one serving alone, and no connection was ever the new
// one's. A message is a 4-byte big-endian length and a JSON object; a
// peer that sends anything else, too long a message, or descriptors that
// do not match what the message announces, gets a clear error and every
// descriptor received is closed.
package handover
