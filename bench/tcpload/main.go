// Command tcpload is the load side of bench/tcp.sh: TCP origins and load
// generators, each bounded in time.
//
//	tcpload -mode sink   -listen ADDR        origin: read and discard until EOF, then close
//	tcpload -mode echo   -listen ADDR        origin: echo until EOF, then close
//	tcpload -mode echo -once -listen ADDR    origin: echo the first read, then close
//	tcpload -mode stream -addr ADDR -d 10s   one connection, 1 MiB writes for d; prints gbit_per_s=
//	tcpload -mode conns  -addr ADDR -c 50 -d 10s
//	                                         c workers, each: connect, write 4 bytes, read them
//	                                         back and the end of stream, close; prints
//	                                         conns_per_s= and errors=
//	tcpload -mode msgs   -addr ADDR -c 50 -size 64 -d 10s
//	                                         c connections to an echo origin (not -once), each:
//	                                         write size bytes, read them back, again; prints
//	                                         msgs_per_s=, p99_us= and errors=
//
// With an -once origin the servers close first, so the TIME_WAIT states of
// the short connections sit on the listening ports' side and do not use up
// the loopback's ephemeral ports, whichever proxy ran before.
//
// Origins stop on SIGINT/SIGTERM, or after -max (default 10m).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	mode := flag.String("mode", "", "sink, echo, stream or conns")
	listen := flag.String("listen", "127.0.0.1:0", "origin address")
	addr := flag.String("addr", "", "address to load")
	conc := flag.Int("c", 50, "workers (conns)")
	dur := flag.Duration("d", 10*time.Second, "load duration")
	maxLife := flag.Duration("max", 10*time.Minute, "origin lifetime bound")
	once := flag.Bool("once", false, "echo origin: close after the first echo")
	size := flag.Int("size", 64, "message size (msgs)")
	flag.Parse()
	switch *mode {
	case "sink", "echo":
		serve(*listen, *mode == "echo", *once, *maxLife)
	case "stream":
		stream(*addr, *dur)
	case "conns":
		conns(*addr, *conc, *dur)
	case "msgs":
		msgs(*addr, *conc, *size, *dur)
	default:
		log.Fatalf("unknown -mode %q", *mode)
	}
}

func serve(addr string, echo, once bool, maxLife time.Duration) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		select {
		case <-sig:
		case <-time.After(maxLife):
		}
		ln.Close()
	}()
	fmt.Println("listening", ln.Addr())
	buf := sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			b := buf.Get().(*[]byte)
			defer buf.Put(b)
			for {
				n, err := c.Read(*b)
				if n > 0 && echo {
					if _, werr := c.Write((*b)[:n]); werr != nil || once {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

func stream(addr string, d time.Duration) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 1<<20)
	var sent int64
	start := time.Now()
	end := start.Add(d)
	c.SetWriteDeadline(end.Add(5 * time.Second))
	for time.Now().Before(end) {
		n, err := c.Write(buf)
		sent += int64(n)
		if err != nil {
			log.Fatalf("after %d bytes: %v", sent, err)
		}
	}
	took := time.Since(start)
	fmt.Printf("gbit_per_s=%.3f bytes=%d seconds=%.3f\n", float64(sent)*8/took.Seconds()/1e9, sent, took.Seconds())
}

func conns(addr string, workers int, d time.Duration) {
	var done, failed atomic.Int64
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4)
			for time.Now().Before(end) {
				if err := once(addr, buf); err != nil {
					failed.Add(1)
					continue
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	fmt.Printf("conns_per_s=%.0f conns=%d errors=%d seconds=%.3f\n", float64(done.Load())/took.Seconds(), done.Load(), failed.Load(), took.Seconds())
}

func once(addr string, buf []byte) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != "ping" {
		return errors.New("bad echo")
	}
	if n, err := c.Read(buf); n != 0 || err != io.EOF { // the server closes first
		return fmt.Errorf("after the echo: %d bytes, %v", n, err)
	}
	return nil
}

// msgs runs workers ping-pong connections: each writes size bytes and reads
// the echo back, until d has passed. It prints the messages echoed per
// second and the 99th percentile of their round trips.
func msgs(addr string, workers, size int, d time.Duration) {
	var done, failed atomic.Int64
	lat := make([][]time.Duration, workers)
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				failed.Add(1)
				return
			}
			defer c.Close()
			c.SetDeadline(end.Add(5 * time.Second))
			out, in := make([]byte, size), make([]byte, size)
			for i := range out {
				out[i] = byte('a' + i%26)
			}
			for time.Now().Before(end) {
				t := time.Now()
				if _, err := c.Write(out); err != nil {
					failed.Add(1)
					return
				}
				if _, err := io.ReadFull(c, in); err != nil {
					failed.Add(1)
					return
				}
				lat[w] = append(lat[w], time.Since(t))
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	p99 := time.Duration(0)
	if len(all) > 0 {
		p99 = all[len(all)*99/100]
	}
	fmt.Printf("msgs_per_s=%.0f msgs=%d p99_us=%.0f errors=%d seconds=%.3f\n", float64(done.Load())/took.Seconds(),
		done.Load(), float64(p99.Microseconds()), failed.Load(), took.Seconds())
}
