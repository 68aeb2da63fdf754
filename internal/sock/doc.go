// Package sock reads and writes a connected socket with raw system calls,
// through the connection's syscall.RawConn.
//
// A net.Conn's Read and Write tell the Go scheduler that a system call may
// block (entersyscall), so that another thread can take the processor
// meanwhile. On a non-blocking socket read(2) and write(2) never block,
// and the hand-off is all cost: the calls pay for the bookkeeping, and on
// a busy processor the runtime's monitor thread hands the processor to a
// second thread whenever a write that wakes its peer takes a little
// longer. With GOMAXPROCS=1 on one CPU the two threads then take turns,
// and the requests caught in between wait for the kernel's scheduler:
// latency at the tail. A Conn makes the same calls without the hand-off.
// Waiting for readiness still goes through the runtime's network poller
// (RawConn.Read and RawConn.Write), so a Conn honours the deadlines set on
// its net.Conn and is woken by Close like a net.Conn.
//
// WriteRead sends a request and waits for the first bytes of the answer
// without the read(2) that would return EAGAIN in between; see its doc.
//
// A Conn is for one goroutine at a time, except that one Read (or
// WriteRead) and one Write may run at once, as on a net.Conn. It allocates
// nothing per call. Raw calls are made on Linux; elsewhere, and on
// connections without a descriptor (TLS), a Conn reads and writes through
// its net.Conn. Under the race detector the
// same calls go through package syscall, whose calls tell the detector
// that I/O orders the goroutines at both ends of a connection.
package sock
