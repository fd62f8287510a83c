package main

import (
	"math"
	"os"
	"strconv"
	"sync"
	"unicode/utf8"
)

// obj is a JSON object as alternating keys and values, printed in that order. Values are
// string, bool, int, float64, or []any of those: all these flat event lines need.
type obj []any

var stdoutMu sync.Mutex

// emit prints one object as one line; the lock keeps lines from concurrent goroutines whole.
func emit(o obj) {
	buf := []byte{'{'}
	for i := 0; i+1 < len(o); i += 2 {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendValue(buf, o[i])
		buf = append(buf, ':')
		buf = appendValue(buf, o[i+1])
	}
	buf = append(buf, '}', '\n')
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	// A parent that stopped reading is gone; nothing useful is left to do with the line.
	_, _ = os.Stdout.Write(buf)
}

func appendValue(buf []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return appendString(buf, x)
	case bool:
		return strconv.AppendBool(buf, x)
	case int:
		return strconv.AppendInt(buf, int64(x), 10)
	case int64:
		return strconv.AppendInt(buf, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(buf, "null"...)
		}
		return strconv.AppendFloat(buf, x, 'f', 3, 64)
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendValue(buf, e)
		}
		return append(buf, ']')
	default:
		return append(buf, "null"...)
	}
}

func appendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			buf = append(buf, '\\', byte(r))
		case r == '\n':
			buf = append(buf, '\\', 'n')
		case r == '\t':
			buf = append(buf, '\\', 't')
		case r < 0x20:
			buf = append(buf, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		case r == utf8.RuneError:
			buf = append(buf, "\\ufffd"...)
		default:
			buf = utf8.AppendRune(buf, r)
		}
	}
	return append(buf, '"')
}
