// Package logging sets up the gateway's slog logger: colored text through
// tint on a terminal, JSON otherwise, and one redaction rule for every
// handler, so no token, password or secret reaches a log.
//
//	var level slog.LevelVar
//	logger := logging.New(os.Stderr, logging.FormatAuto, &level)
//	logger.Info("listening", "addr", ":8080")
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lmittmann/tint"
	"golang.org/x/term"
)

// Format selects the output format of a logger.
type Format string

// The formats understood by New.
const (
	FormatAuto Format = "auto" // text on a terminal, JSON otherwise
	FormatText Format = "text" // human-readable, colored on a terminal
	FormatJSON Format = "json" // one JSON object per line
)

// ParseFormat parses a format name; the empty string means FormatAuto.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case "":
		return FormatAuto, nil
	case FormatAuto, FormatText, FormatJSON:
		return f, nil
	}
	return "", fmt.Errorf("unknown log format %q (want auto, text or json)", s)
}

// New returns a logger writing to w in format f, at the level held by
// level. Attributes are passed through Redact. If w is an AsyncWriter,
// records of level Error and above are written before the logger's
// methods return (see AsyncWriter), and f is chosen by the writer it
// writes to.
func New(w io.Writer, f Format, level slog.Leveler) *slog.Logger {
	tty := isTerminal(w)
	if f == FormatAuto {
		f = FormatJSON
		if tty {
			f = FormatText
		}
	}
	var h slog.Handler
	if f == FormatText {
		h = tint.NewTextHandler(w, &tint.Options{
			Level:       level,
			TimeFormat:  time.TimeOnly,
			NoColor:     !tty,
			ReplaceAttr: Redact,
		})
	} else {
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{
			Level:       level,
			ReplaceAttr: Redact,
		})
	}
	if a, ok := w.(*AsyncWriter); ok {
		h = flushingHandler{h, a}
	}
	return slog.New(h)
}

func isTerminal(w io.Writer) bool {
	if a, ok := w.(*AsyncWriter); ok {
		w = a.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Redacted is what Redact puts in place of a secret.
const Redacted = "REDACTED"

// sensitiveKeys are the attribute keys, or key suffixes after '_', '-' or
// '.', whose values Redact hides.
var sensitiveKeys = []string{
	"authorization", "cookie", "set-cookie", "password", "passwd",
	"secret", "token", "jwt", "apikey", "api_key", "key", "credentials",
}

// Redact is a slog ReplaceAttr function: it replaces the value of any
// attribute whose key names a secret (authorization, token, password,
// secret, ... matched case-insensitively, also as the last part of a
// dotted or underscored key such as "jwt_secret") with Redacted, and hides
// the password of anything that looks like a URL with user info (a
// database or Redis URL). Values of types implementing slog.LogValuer are
// resolved by slog before Redact sees them.
func Redact(_ []string, a slog.Attr) slog.Attr {
	if isSensitive(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	if a.Value.Kind() == slog.KindString {
		if s, ok := redactURL(a.Value.String()); ok {
			return slog.String(a.Key, s)
		}
	}
	return a
}

// sensitive memoizes isSensitive: a program logs few distinct keys, and
// Redact runs for every attribute of every line. Lookups read an
// immutable map without a lock; a new key replaces the map with a copy
// (under sensitiveMu). A sync.Map's lookup, hashing its key as an
// interface, cost the access log more than this.
var (
	sensitive   atomic.Pointer[map[string]bool]
	sensitiveMu sync.Mutex
)

// maxMemoized bounds the keys sensitive holds, and so the cost of
// copying it, should a program log keys without end.
const maxMemoized = 512

func isSensitive(key string) bool {
	if m := sensitive.Load(); m != nil {
		if v, ok := (*m)[key]; ok {
			return v
		}
	}
	v := computeSensitive(key)
	if len(key) <= 64 {
		memoize(key, v)
	}
	return v
}

func memoize(key string, v bool) {
	sensitiveMu.Lock()
	defer sensitiveMu.Unlock()
	var old map[string]bool
	if p := sensitive.Load(); p != nil {
		old = *p
	}
	if _, ok := old[key]; ok || len(old) >= maxMemoized {
		return
	}
	m := make(map[string]bool, len(old)+1)
	maps.Copy(m, old)
	m[key] = v
	sensitive.Store(&m)
}

func computeSensitive(key string) bool {
	k := strings.ToLower(key)
	for _, s := range sensitiveKeys {
		if k == s || strings.HasSuffix(k, "_"+s) || strings.HasSuffix(k, "-"+s) || strings.HasSuffix(k, "."+s) {
			return true
		}
	}
	return false
}

// redactURL hides the password of a URL such as
// postgres://user:pw@host/db. It reports whether s was such a URL.
func redactURL(s string) (string, bool) {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return "", false
	}
	if _, has := u.User.Password(); !has {
		return "", false
	}
	return u.Redacted(), true
}
