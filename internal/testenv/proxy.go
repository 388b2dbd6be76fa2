package testenv

import (
	"net"
	"sync"
	"testing"
)

// Proxy is a TCP proxy on the loopback interface in front of a service,
// which a test freezes to make the service stop answering without closing
// a connection, as a hung server or a network partition does.
type Proxy struct {
	t      testing.TB
	target string
	ln     net.Listener

	mu     sync.Mutex
	frozen chan struct{} // closed while the proxy forwards; open while frozen
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// StartProxy starts a proxy to target (host:port) on a free port of the
// loopback interface; t.Cleanup thaws and closes it.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, target: target, ln: ln, frozen: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	close(p.frozen)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr returns the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Freeze stops forwarding: bytes sent either way and new connections
// wait, unanswered, until Thaw.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.frozen:
		p.frozen = make(chan struct{})
	default: // frozen already
	}
}

// Thaw forwards again what waited and what comes.
func (p *Proxy) Thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.frozen:
	default:
		close(p.frozen)
	}
}

// gate returns a channel that is closed while the proxy forwards.
func (p *Proxy) gate() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frozen
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		if !p.track(c) {
			c.Close()
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			<-p.gate()
			u, err := net.Dial("tcp", p.target)
			if err != nil || !p.track(u) {
				if u != nil {
					u.Close()
				}
				c.Close()
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.pipe(u, c)
			}()
			p.pipe(c, u)
		}()
	}
}

// track adds c to the connections that close closes, or reports false if
// the proxy is closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

// pipe copies from src to dst, waiting at each read while the proxy is
// frozen, and closes both when either side ends.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			<-p.gate()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// close thaws the proxy, closes its listener and connections, and waits
// for its goroutines.
func (p *Proxy) close() {
	p.Thaw()
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}
