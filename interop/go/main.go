// Command guardian-interop-go is the reference go-libp2p peer of Guardian Pool's interop tests.
//
// `listen` and `dial <multiaddr/p2p/id> [--steps a,b]`: the command-line contract shared with the
// rust and js peers is described in ../README.md. TCP + Noise + yamux only, identify and ping, and
// the three /guardian/* test protocols. Everything binds to 127.0.0.1 only.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	yamux "github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
	noise "github.com/libp2p/go-libp2p/p2p/security/noise"
	tcp "github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
	msmux "github.com/multiformats/go-multistream"
)

const (
	echoID      = protocol.ID("/guardian/echo/1.0.0")
	resetID     = protocol.ID("/guardian/reset/1.0.0")
	closeConnID = protocol.ID("/guardian/close-conn/1.0.0")
	nopeID      = protocol.ID("/guardian/nope/1.0.0")
	// protocolVersion is identify's protocolVersion, the same in all three reference peers.
	protocolVersion = "ipfs/0.1.0"
	// stepTimeout bounds every dial step, so a broken remote fails a step instead of hanging.
	stepTimeout = 30 * time.Second
)

// allSteps run by default, in this order. extraSteps run only when --steps names them:
// close-conn ends the connection, so it goes last.
var (
	allSteps   = []string{"identify", "ping", "echo", "concurrent", "refused"}
	extraSteps = []string{"reset", "close-conn"}
)

func main() {
	args := os.Args[1:]
	switch {
	case len(args) >= 1 && args[0] == "listen":
		cm, keyType, err := parseListenArgs(args[1:])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(listen(cm, keyType))
	case len(args) == 1 && args[0] == "bench-listen":
		os.Exit(benchListen())
	case len(args) >= 2 && args[0] == "bench-dial":
		b, err := parseBenchArgs(args[1:])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(benchDial(b))
	case len(args) >= 2 && args[0] == "dial":
		target, steps, keyType, err := parseDialArgs(args[1:])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(dial(target, steps, keyType))
	default:
		fmt.Fprintln(os.Stderr, "usage: guardian-interop-go listen [--conn-low N --conn-high M --conn-grace D [--conn-silence D]] [--key-type T]"+
			" | dial <multiaddr with /p2p/id> [--steps a,b,c] [--key-type T] | bench-listen"+
			" | bench-dial <multiaddr with /p2p/id> --what handshake|rr|throughput [--n N] [--concurrency C] [--size S]")
		os.Exit(2)
	}
}

// connMgrLimits are the listener's connection-manager settings; nil keeps go-libp2p's default
// manager (low 160, high 192, grace 1 min, silence 10 s), which never trims a test's few connections.
type connMgrLimits struct {
	low, high      int
	grace, silence time.Duration
}

// keyTypes are the identity key types --key-type accepts (go-libp2p's four); ed25519 is the default.
var keyTypes = map[string]int{"ed25519": crypto.Ed25519, "secp256k1": crypto.Secp256k1, "rsa": crypto.RSA, "ecdsa": crypto.ECDSA}

// parseListenArgs reads listen's optional flags: the identity's --key-type, and the connection
// manager's. --conn-low, --conn-high and --conn-grace go together; --conn-silence (how often the
// manager checks the high watermark, go's default 10 s) is optional.
func parseListenArgs(args []string) (*connMgrLimits, string, error) {
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	low := fs.Int("conn-low", -1, "connection manager low watermark (>= 1)")
	high := fs.Int("conn-high", -1, "connection manager high watermark (>= conn-low)")
	grace := fs.Duration("conn-grace", -1, "grace period of new connections, e.g. 1s")
	silence := fs.Duration("conn-silence", 10*time.Second, "interval of the manager's trim checks, e.g. 500ms")
	keyType := fs.String("key-type", "ed25519", "identity key type: ed25519, secp256k1, rsa or ecdsa")
	if err := fs.Parse(args); err != nil {
		return nil, "", fmt.Errorf("listen: %w", err)
	}
	if fs.NArg() > 0 {
		return nil, "", fmt.Errorf("listen: unexpected argument %s", fs.Arg(0))
	}
	if _, ok := keyTypes[*keyType]; !ok {
		return nil, "", fmt.Errorf("listen: unknown --key-type %s (ed25519, secp256k1, rsa or ecdsa)", *keyType)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	delete(set, "key-type")
	if len(set) == 0 {
		return nil, *keyType, nil
	}
	if !set["conn-low"] || !set["conn-high"] || !set["conn-grace"] {
		return nil, "", errors.New("listen: --conn-low, --conn-high and --conn-grace go together")
	}
	// go's manager treats a low watermark of 0 as "trimming off" (getConnsToClose returns nil).
	if *low < 1 || *high < *low || *grace < 0 || *silence <= 0 {
		return nil, "", fmt.Errorf("listen: need 1 <= conn-low <= conn-high, conn-grace >= 0, conn-silence > 0; got %d, %d, %s, %s",
			*low, *high, *grace, *silence)
	}
	return &connMgrLimits{low: *low, high: *high, grace: *grace, silence: *silence}, *keyType, nil
}

func parseDialArgs(args []string) (*peer.AddrInfo, []string, string, error) {
	steps := allSteps
	keyType := "ed25519"
	var target *peer.AddrInfo
	for i := 0; i < len(args); i++ {
		if args[i] == "--key-type" {
			if i+1 >= len(args) {
				return nil, nil, "", errors.New("--key-type needs a value")
			}
			if _, ok := keyTypes[args[i+1]]; !ok {
				return nil, nil, "", fmt.Errorf("unknown --key-type %s (ed25519, secp256k1, rsa or ecdsa)", args[i+1])
			}
			keyType = args[i+1]
			i++
			continue
		}
		if args[i] == "--steps" {
			if i+1 >= len(args) {
				return nil, nil, "", errors.New("--steps needs a value")
			}
			steps = nil
			for _, s := range strings.Split(args[i+1], ",") {
				if s == "" {
					continue
				}
				if !contains(allSteps, s) && !contains(extraSteps, s) {
					return nil, nil, "", fmt.Errorf("unknown step %s; steps are %s", s, strings.Join(append(allSteps, extraSteps...), ","))
				}
				steps = append(steps, s)
			}
			i++
			continue
		}
		addr, err := ma.NewMultiaddr(args[i])
		if err != nil {
			return nil, nil, "", fmt.Errorf("bad multiaddr %s: %w", args[i], err)
		}
		target, err = peer.AddrInfoFromP2pAddr(addr)
		if err != nil {
			return nil, nil, "", fmt.Errorf("the multiaddr must end with /p2p/<peer id>: %w", err)
		}
	}
	if target == nil {
		return nil, nil, "", errors.New("dial needs a multiaddr")
	}
	return target, steps, keyType, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// libp2pVersion reads go-libp2p's version from the build info, so the agent version follows go.mod.
func libp2pVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/libp2p/go-libp2p" {
				return dep.Version
			}
		}
	}
	return "unknown"
}

// newHost builds a TCP + Noise + yamux host with an identity of keyType (see keyTypes; RSA keys are
// 2048 bits, ECDSA keys P-256, go-libp2p's defaults). Only the transports, security and muxer given
// here are used, relay is off and NAT/port mapping is never enabled, so nothing else listens.
func newHost(cm *connMgrLimits, keyType string, listenAddrs ...string) (host.Host, error) {
	key, _, err := crypto.GenerateKeyPairWithReader(keyTypes[keyType], 2048, rand.Reader)
	if err != nil {
		return nil, err
	}
	// go's default limits, except that one peer may run 100+ concurrent streams of one protocol:
	// the default allows only 64 inbound streams per peer and protocol.
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	for _, id := range []protocol.ID{echoID, resetID, closeConnID, perfID} {
		limits.AddProtocolPeerLimit(id,
			rcmgr.BaseLimit{StreamsInbound: 256, StreamsOutbound: 256, Streams: 512, Memory: 64 << 20},
			rcmgr.BaseLimitIncrease{})
		limits.AddProtocolLimit(id,
			rcmgr.BaseLimit{StreamsInbound: 1024, StreamsOutbound: 1024, Streams: 2048, Memory: 256 << 20},
			rcmgr.BaseLimitIncrease{})
	}
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()))
	if err != nil {
		return nil, err
	}
	opts := []libp2p.Option{
		libp2p.Identity(key),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.DisableRelay(),
		libp2p.ResourceManager(rm),
		libp2p.UserAgent("guardian-interop-go/" + libp2pVersion()),
		libp2p.ProtocolVersion(protocolVersion),
		libp2p.DisableMetrics(),
	}
	if cm != nil {
		mgr, err := connmgr.NewConnManager(cm.low, cm.high,
			connmgr.WithGracePeriod(cm.grace), connmgr.WithSilencePeriod(cm.silence))
		if err != nil {
			return nil, err
		}
		opts = append(opts, libp2p.ConnectionManager(mgr))
	}
	if len(listenAddrs) == 0 {
		opts = append(opts, libp2p.NoListenAddrs)
	} else {
		opts = append(opts, libp2p.ListenAddrStrings(listenAddrs...))
	}
	return libp2p.New(opts...)
}

// serve registers the three guardian protocols; both modes answer them (and identify and ping).
func serve(h host.Host) {
	h.SetStreamHandler(echoID, func(s network.Stream) {
		n, err := io.Copy(s, s)
		if err == nil {
			err = s.CloseWrite()
		}
		if err != nil {
			s.Reset()
			emit(obj{"event", "echo-failed", "peer", s.Conn().RemotePeer().String(), "error", err.Error()})
			return
		}
		s.Close()
		emit(obj{"event", "echo", "peer", s.Conn().RemotePeer().String(), "bytes", n})
	})
	h.SetStreamHandler(resetID, func(s network.Stream) {
		if readOne(s) {
			s.Reset()
			emit(obj{"event", "reset", "peer", s.Conn().RemotePeer().String()})
		} else {
			s.Reset()
		}
	})
	h.SetStreamHandler(closeConnID, func(s network.Stream) {
		if readOne(s) {
			s.Conn().Close()
			emit(obj{"event", "close-conn", "peer", s.Conn().RemotePeer().String()})
		} else {
			s.Reset()
		}
	})
}

func readOne(s network.Stream) bool {
	_ = s.SetReadDeadline(time.Now().Add(stepTimeout))
	var b [1]byte
	n, _ := io.ReadFull(s, b[:])
	return n == 1
}

func listen(cm *connMgrLimits, keyType string) int {
	h, err := newHost(cm, keyType, "/ip4/127.0.0.1/tcp/0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return 1
	}
	serve(h)
	sub, err := h.EventBus().Subscribe(new(event.EvtPeerIdentificationCompleted))
	if err != nil {
		fmt.Fprintln(os.Stderr, "subscribe:", err)
		return 1
	}
	addrs := []any{}
	for _, a := range h.Addrs() {
		addrs = append(addrs, a.String())
	}
	emit(obj{"peerId", h.ID().String(), "addrs", addrs})
	h.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			if c.Stat().Direction != network.DirInbound {
				return
			}
			p := c.RemotePeer()
			emit(obj{"event", "connected", "peer", p.String()})
			// One ping right after the connection is up; notifiee callbacks must not block.
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
				defer cancel()
				r := <-ping.Ping(ctx, h, p)
				if r.Error != nil {
					emit(obj{"event", "ping-failed", "peer", p.String(), "error", r.Error.Error()})
				} else {
					emit(obj{"event", "ping", "peer", p.String(), "rttMs", ms(r.RTT)})
				}
			}()
		},
		// Every closed connection, whichever side closed it: tests see the manager's trims here.
		DisconnectedF: func(_ network.Network, c network.Conn) {
			emit(obj{"event", "disconnected", "peer", c.RemotePeer().String()})
		},
	})
	go func() {
		for e := range sub.Out() {
			ev := e.(event.EvtPeerIdentificationCompleted)
			fields := obj{"event", "identified", "peer", ev.Peer.String()}
			emit(append(fields, identifyFields(ev)...))
		}
	}()
	// The parent test closes our stdin to stop us, so no peer outlives the test that started it.
	awaitStop()
	// Exit at once: a graceful host shutdown could take longer than the second we are allowed.
	return 0
}

func identifyFields(ev event.EvtPeerIdentificationCompleted) obj {
	protocols := []any{}
	for _, p := range ev.Protocols {
		protocols = append(protocols, string(p))
	}
	listenAddrs := []any{}
	for _, a := range ev.ListenAddrs {
		listenAddrs = append(listenAddrs, a.String())
	}
	return obj{"agentVersion", ev.AgentVersion, "protocolVersion", ev.ProtocolVersion,
		"protocols", protocols, "listenAddrs", listenAddrs}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// --------------------------------------------------------------------------------------- dial

func dial(target *peer.AddrInfo, steps []string, keyType string) int {
	h, err := newHost(nil, keyType)
	if err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return 1
	}
	serve(h)
	// Subscribe before connecting, so the identify of the new connection cannot be missed.
	sub, err := h.EventBus().Subscribe([]any{new(event.EvtPeerIdentificationCompleted), new(event.EvtPeerIdentificationFailed)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "subscribe:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	err = h.Connect(ctx, *target)
	cancel()
	if err != nil {
		emit(obj{"step", "connect", "ok", false, "error", err.Error()})
		emit(obj{"step", "done", "ok", false})
		return 1
	}
	allOK := true
	for _, step := range steps {
		var ok bool
		switch step {
		case "identify":
			ok = stepIdentify(target.ID, sub)
		case "ping":
			ok = stepPing(h, target.ID)
		case "echo":
			ok = stepEcho(h, target.ID)
		case "concurrent":
			ok = stepConcurrent(h, target.ID)
		case "refused":
			ok = stepRefused(h, target.ID)
		case "reset":
			ok = stepReset(h, target.ID)
		case "close-conn":
			ok = stepCloseConn(h, target.ID)
		}
		allOK = allOK && ok
	}
	emit(obj{"step", "done", "ok", allOK})
	if allOK {
		return 0
	}
	return 1
}

// report emits a step line and returns its ok.
func report(step string, details obj, err error) bool {
	line := obj{"step", step, "ok", err == nil}
	if err != nil {
		line = append(line, "error", err.Error())
	} else {
		line = append(line, details...)
	}
	emit(line)
	return err == nil
}

func stepIdentify(target peer.ID, sub event.Subscription) bool {
	deadline := time.After(stepTimeout)
	for {
		select {
		case e := <-sub.Out():
			switch ev := e.(type) {
			case event.EvtPeerIdentificationCompleted:
				if ev.Peer == target {
					return report("identify", identifyFields(ev), nil)
				}
			case event.EvtPeerIdentificationFailed:
				if ev.Peer == target {
					return report("identify", nil, ev.Reason)
				}
			}
		case <-deadline:
			return report("identify", nil, fmt.Errorf("timed out after %s", stepTimeout))
		}
	}
}

// stepPing uses go-libp2p's own ping client: three pings on one stream.
func stepPing(h host.Host, target peer.ID) bool {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	results := ping.Ping(ctx, h, target)
	allOK := true
	for i := 0; i < 3; i++ {
		r, open := <-results
		if !open {
			r.Error = errors.New("ping stopped")
		}
		allOK = report("ping", obj{"rttMs", ms(r.RTT)}, r.Error) && allOK
		if !open {
			break
		}
	}
	return allOK
}

// echoOnce writes data on a new echo stream, half-closes, reads to EOF (bounded) and compares.
func echoOnce(h host.Host, target peer.ID, data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	s, err := h.NewStream(ctx, target, echoID)
	if err != nil {
		return err
	}
	_ = s.SetDeadline(time.Now().Add(stepTimeout))
	// Write and read together: a 4 MiB echo would otherwise stall on yamux's 256 KiB window.
	writeErr := make(chan error, 1)
	go func() {
		_, err := s.Write(data)
		if err == nil {
			err = s.CloseWrite()
		}
		writeErr <- err
	}()
	back, readErr := io.ReadAll(io.LimitReader(s, int64(len(data))+1))
	if err := <-writeErr; err != nil {
		s.Reset()
		return fmt.Errorf("write: %w", err)
	}
	if readErr != nil {
		s.Reset()
		return fmt.Errorf("read: %w", readErr)
	}
	s.Close()
	if string(back) != string(data) {
		return fmt.Errorf("echo mismatch: sent %d bytes, got %d back", len(data), len(back))
	}
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func stepEcho(h host.Host, target peer.ID) bool {
	allOK := true
	for _, size := range []int{1, 64 << 10, 4 << 20} {
		start := time.Now()
		err := echoOnce(h, target, randomBytes(size))
		if err != nil {
			err = fmt.Errorf("%d bytes: %w", size, err)
		}
		allOK = report("echo", obj{"bytes", size, "ms", ms(time.Since(start))}, err) && allOK
	}
	return allOK
}

func stepConcurrent(h host.Host, target peer.ID) bool {
	const streams = 100
	start := time.Now()
	errs := make([]error, streams)
	var wg sync.WaitGroup
	for i := 0; i < streams; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = echoOnce(h, target, randomBytes(1024))
		}(i)
	}
	wg.Wait()
	failed := 0
	var first error
	for _, err := range errs {
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	var err error
	if failed > 0 {
		err = fmt.Errorf("%d of %d streams failed, first: %w", failed, streams, first)
	}
	return report("concurrent", obj{"streams", streams, "ms", ms(time.Since(start))}, err)
}

func stepRefused(h host.Host, target peer.ID) bool {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	s, err := h.NewStream(ctx, target, nopeID)
	switch {
	case err == nil:
		s.Reset()
		return report("refused", nil, fmt.Errorf("%s was accepted", nopeID))
	case errors.Is(err, msmux.ErrNotSupported[protocol.ID]{}):
		return report("refused", obj{"error", err.Error()}, nil)
	default:
		// A broken connection also fails the open, but proves nothing about refusal.
		return report("refused", nil, fmt.Errorf("failed, but not as a refusal: %w", err))
	}
}

// stepReset sends one byte (no FIN) on /guardian/reset/1.0.0; ok when the remote's reset
// surfaces as a read error, not as a clean end of stream.
func stepReset(h host.Host, target peer.ID) bool {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	s, err := h.NewStream(ctx, target, resetID)
	if err != nil {
		return report("reset", nil, err)
	}
	defer s.Reset()
	_ = s.SetDeadline(time.Now().Add(stepTimeout))
	if _, err := s.Write([]byte{1}); err != nil {
		return report("reset", nil, fmt.Errorf("write: %w", err))
	}
	_, err = io.Copy(io.Discard, io.LimitReader(s, 1<<20))
	switch {
	case err == nil:
		return report("reset", nil, errors.New("the stream ended cleanly instead of being reset"))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return report("reset", nil, fmt.Errorf("no reset within %s", stepTimeout))
	default:
		return report("reset", obj{"error", err.Error()}, nil)
	}
}

// stepCloseConn sends one byte on /guardian/close-conn/1.0.0; ok when the connection closes.
func stepCloseConn(h host.Host, target peer.ID) bool {
	closed := make(chan struct{}, 1)
	h.Network().Notify(&network.NotifyBundle{
		DisconnectedF: func(_ network.Network, c network.Conn) {
			if c.RemotePeer() == target {
				select {
				case closed <- struct{}{}:
				default:
				}
			}
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	s, err := h.NewStream(ctx, target, closeConnID)
	if err != nil {
		return report("close-conn", nil, err)
	}
	if _, err := s.Write([]byte{1}); err != nil {
		return report("close-conn", nil, fmt.Errorf("write: %w", err))
	}
	start := time.Now()
	select {
	case <-closed:
		return report("close-conn", obj{"ms", ms(time.Since(start))}, nil)
	case <-ctx.Done():
		return report("close-conn", nil, fmt.Errorf("the connection was still open after %s", stepTimeout))
	}
}

// awaitStop returns when stdin ends (the parent test closes it, so no peer outlives the test that
// started it) or on SIGTERM/SIGINT.
func awaitStop() {
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-done:
	case <-sigs:
	}
}
