package proxy

// Connection slots: max_connections is listener.Slots, shared by every
// listener. When a new connection finds every slot taken, the accept loop
// calls reclaimIdle, which closes the http and https connections that have
// waited longest for a request (session.Reclaimer).

// reclaimIdle makes room in a full slot table: it closes idle client
// connections, oldest first, and returns how many. It runs in accept
// loops, one call at a time.
func (p *proxy) reclaimIdle() int {
	n, longest := p.reclaimer.Reclaim()
	if n > 0 {
		p.cfg.Logger.Debug("max_connections reached: closed idle client connections",
			"closed", n, "longest_idle", longest)
	}
	return n
}
