package main

// Benchmark mode, listening side (issue 17): `bench-listen` serves the message-by-message echo
// and the libp2p perf protocol's sink/source. The dialing side is in bench.go; the contract
// shared with the rust and js peers is in ../README.md.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
)

// benchServe registers the message echo (replacing the byte-copy echo of `listen`) and perf.
func benchServe(h host.Host) {
	h.SetStreamHandler(echoID, func(s network.Stream) {
		defer s.Close()
		r := bufio.NewReader(s)
		for {
			_ = s.SetReadDeadline(time.Now().Add(stepTimeout))
			msg, err := readMessage(r)
			if err == io.EOF {
				return
			}
			if err != nil {
				s.Reset()
				return
			}
			if _, err := s.Write(msg); err != nil {
				s.Reset()
				return
			}
		}
	})
	h.SetStreamHandler(perfID, func(s network.Stream) {
		_ = s.SetDeadline(time.Now().Add(10 * stepTimeout))
		var head [8]byte
		if _, err := io.ReadFull(s, head[:]); err != nil {
			s.Reset()
			return
		}
		down := binary.BigEndian.Uint64(head[:])
		if down > maxPerfDownload {
			s.Reset()
			return
		}
		if _, err := io.Copy(io.Discard, s); err != nil {
			s.Reset()
			return
		}
		if err := sendZeros(s, int64(down)); err != nil {
			s.Reset()
			return
		}
		s.Close()
	})
}

// readMessage reads uvarint(length) ‖ bytes and returns the whole frame (prefix included), so the
// echo writes it back in one call; io.EOF only when the stream ended cleanly between messages.
func readMessage(r *bufio.Reader) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > maxEchoMessage {
		return nil, fmt.Errorf("message of %d bytes is over %d", n, maxEchoMessage)
	}
	msg := binary.AppendUvarint(make([]byte, 0, int(n)+binary.MaxVarintLen64), n)
	start := len(msg)
	msg = msg[:start+int(n)]
	if _, err := io.ReadFull(r, msg[start:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return msg, nil
}

func sendZeros(w io.Writer, n int64) error {
	block := make([]byte, perfBlock)
	for n > 0 {
		k := int64(len(block))
		if n < k {
			k = n
		}
		if _, err := w.Write(block[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func benchListen() int {
	h, err := newHost(nil, "ed25519", "/ip4/127.0.0.1/tcp/0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return 1
	}
	benchServe(h)
	addrs := []any{}
	for _, a := range h.Addrs() {
		addrs = append(addrs, a.String())
	}
	emit(obj{"peerId", h.ID().String(), "addrs", addrs})
	awaitStop()
	return 0
}
