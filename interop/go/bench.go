package main

// Benchmark mode, dialing side (issue 17): `bench-dial` measures go-libp2p's own stack dialing a
// listener and prints one JSON line. `bench-listen` is in bench_listen.go. The contract shared
// with the rust and js peers is in ../README.md.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify"
	ma "github.com/multiformats/go-multiaddr"
)

const (
	perfID = protocol.ID("/perf/1.0.0")
	// maxEchoMessage bounds one echoed message: the benchmarks send 64 B, the bound keeps a
	// broken dialer from making us allocate at will.
	maxEchoMessage = 4 << 20
	// maxPerfDownload bounds what a perf client may ask us to send back.
	maxPerfDownload = 1 << 30
	perfBlock       = 64 << 10
)

// benchArgs is bench-dial's command line.
type benchArgs struct {
	target      *peer.AddrInfo
	what        string
	n           int
	concurrency int
	size        int
}

func parseBenchArgs(args []string) (benchArgs, error) {
	b := benchArgs{n: 100, concurrency: 1, size: 64}
	for i := 0; i < len(args); i++ {
		flag := args[i]
		if flag == "--what" || flag == "--n" || flag == "--concurrency" || flag == "--size" {
			if i+1 >= len(args) {
				return b, fmt.Errorf("%s needs a value", flag)
			}
			v := args[i+1]
			i++
			if flag == "--what" {
				b.what = v
				continue
			}
			x, err := strconv.Atoi(v)
			if err != nil || x < 1 {
				return b, fmt.Errorf("%s must be a positive integer, got %s", flag, v)
			}
			switch flag {
			case "--n":
				b.n = x
			case "--concurrency":
				b.concurrency = x
			case "--size":
				b.size = x
			}
			continue
		}
		addr, err := ma.NewMultiaddr(flag)
		if err != nil {
			return b, fmt.Errorf("bad multiaddr %s: %w", flag, err)
		}
		if b.target, err = peer.AddrInfoFromP2pAddr(addr); err != nil {
			return b, fmt.Errorf("the multiaddr must end with /p2p/<peer id>: %w", err)
		}
	}
	if b.target == nil {
		return b, errors.New("bench-dial needs a multiaddr")
	}
	if b.what != "handshake" && b.what != "rr" && b.what != "throughput" {
		return b, fmt.Errorf("--what must be handshake, rr or throughput, got %q", b.what)
	}
	return b, nil
}

// cpuMicros is this process's user+system CPU time so far.
func cpuMicros() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Sec*1e6 + int64(ru.Utime.Usec) + ru.Stime.Sec*1e6 + int64(ru.Stime.Usec)
}

// runWorkers runs op n times over c goroutines (each takes the next index) and returns the
// wall time and the first error.
func runWorkers(n, c int, op func(worker, i int) error) (time.Duration, error) {
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || firstErr.Load() != nil {
					return
				}
				if err := op(w, i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return time.Since(start), e.(error)
	}
	return time.Since(start), nil
}

func benchDial(b benchArgs) int {
	var line obj
	var err error
	switch b.what {
	case "handshake":
		line, err = benchHandshake(b)
	case "rr":
		line, err = benchRR(b)
	case "throughput":
		line, err = benchThroughput(b)
	}
	if err != nil {
		emit(obj{"impl", "go", "what", b.what, "ok", false, "error", err.Error()})
		return 1
	}
	emit(append(obj{"impl", "go", "what", b.what, "ok", true, "n", b.n, "concurrency", b.concurrency, "size", b.size}, line...))
	return 0
}

// warmups: operations run before the measured n, so connection set-up and first-use costs stay out.
func warmups(n int) int {
	if n/10 < 1 {
		return 1
	}
	return n / 10
}

// measured runs warmOp warm times untimed, then op n times timed, both over c goroutines, and
// returns the timed runs' wall time and CPU (user + system, µs).
func measured(warm, n, c int, warmOp, op func(worker, i int) error) (time.Duration, int64, error) {
	if _, err := runWorkers(warm, c, warmOp); err != nil {
		return 0, 0, err
	}
	cpu := cpuMicros()
	elapsed, err := runWorkers(n, c, op)
	if err != nil {
		return 0, 0, err
	}
	return elapsed, cpuMicros() - cpu, nil
}

// connectedHost: a new host with one connection to the target (the caller closes the host).
func connectedHost(b benchArgs) (host.Host, error) {
	h, err := newHost(nil, "ed25519")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if err := h.Connect(ctx, *b.target); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// benchHandshake: each worker has its own host (one connection per host and peer), and each
// operation is connect + Noise + yamux + identify of the new connection, then close.
func benchHandshake(b benchArgs) (obj, error) {
	hosts := make([]host.Host, b.concurrency)
	for i := range hosts {
		h, err := newHost(nil, "ed25519")
		if err != nil {
			return nil, err
		}
		defer h.Close()
		hosts[i] = h
	}
	op := func(w, _ int) error {
		h := hosts[w]
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		defer cancel()
		if err := h.Connect(ctx, *b.target); err != nil {
			return err
		}
		conns := h.Network().ConnsToPeer(b.target.ID)
		if len(conns) == 0 {
			return errors.New("connected but no connection")
		}
		select {
		case <-h.(interface{ IDService() identify.IDService }).IDService().IdentifyWait(conns[0]):
		case <-ctx.Done():
			return errors.New("identify timed out")
		}
		return h.Network().ClosePeer(b.target.ID)
	}
	elapsed, cpu, err := measured(warmups(b.n), b.n, b.concurrency, op, op)
	if err != nil {
		return nil, err
	}
	return obj{"seconds", elapsed.Seconds(), "handshakesPerSec", float64(b.n) / elapsed.Seconds(),
		"cpuUsPerOp", float64(cpu) / float64(b.n)}, nil
}

// benchRR: one connection; each operation opens a stream, sends one message of --size bytes,
// reads the echo and closes the stream (a stream per request, as a pool's lease).
func benchRR(b benchArgs) (obj, error) {
	h, err := connectedHost(b)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	payload := randomBytes(b.size)
	request := append(binary.AppendUvarint(nil, uint64(b.size)), payload...)
	latencies := make([]time.Duration, b.n)
	op := func(_, i int) error {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		defer cancel()
		s, err := h.NewStream(ctx, b.target.ID, echoID)
		if err != nil {
			return err
		}
		_ = s.SetDeadline(time.Now().Add(stepTimeout))
		if _, err := s.Write(request); err != nil {
			s.Reset()
			return err
		}
		reply, err := readMessage(bufio.NewReaderSize(s, len(request)))
		if err != nil {
			s.Reset()
			return err
		}
		if len(reply) != len(request) {
			s.Reset()
			return fmt.Errorf("echo of %d bytes came back as %d", len(request), len(reply))
		}
		s.Close()
		if i >= 0 && i < len(latencies) {
			latencies[i] = time.Since(start)
		}
		return nil
	}
	elapsed, cpu, err := measured(warmups(b.n), b.n, b.concurrency, func(w, _ int) error { return op(w, -1) }, op)
	if err != nil {
		return nil, err
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	var sum time.Duration
	for _, l := range latencies {
		sum += l
	}
	return obj{"seconds", elapsed.Seconds(), "opsPerSec", float64(b.n) / elapsed.Seconds(),
		"p50Us", us(latencies[len(latencies)/2]), "meanUs", us(sum / time.Duration(len(latencies))),
		"p99Us", us(latencies[len(latencies)*99/100]), "cpuUsPerOp", float64(cpu) / float64(b.n)}, nil
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

// benchThroughput: one connection; --concurrency perf streams at once, --n uploads of --size
// bytes in all (perf protocol: 8-byte download size 0, the upload, half-close, wait for the end).
func benchThroughput(b benchArgs) (obj, error) {
	h, err := connectedHost(b)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	block := randomBytes(perfBlock)
	op := func(_, _ int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*stepTimeout)
		defer cancel()
		s, err := h.NewStream(ctx, b.target.ID, perfID)
		if err != nil {
			return err
		}
		_ = s.SetDeadline(time.Now().Add(10 * stepTimeout))
		var head [8]byte
		if _, err := s.Write(head[:]); err != nil {
			s.Reset()
			return err
		}
		for left := b.size; left > 0; {
			k := len(block)
			if left < k {
				k = left
			}
			if _, err := s.Write(block[:k]); err != nil {
				s.Reset()
				return err
			}
			left -= k
		}
		if err := s.CloseWrite(); err != nil {
			s.Reset()
			return err
		}
		if _, err := io.Copy(io.Discard, io.LimitReader(s, 1)); err != nil {
			s.Reset()
			return err
		}
		s.Close()
		return nil
	}
	elapsed, cpu, err := measured(b.concurrency, b.n, b.concurrency, op, op)
	if err != nil {
		return nil, err
	}
	bytes := float64(b.n) * float64(b.size)
	return obj{"seconds", elapsed.Seconds(), "mbPerSec", bytes / elapsed.Seconds() / 1e6,
		"cpuUsPerMiB", float64(cpu) / (bytes / (1 << 20))}, nil
}
