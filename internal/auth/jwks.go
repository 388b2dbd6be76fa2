package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// Defaults of JWKSOptions.
const (
	defaultJWKSFetchTimeout    = 5 * time.Second
	defaultJWKSRefreshInterval = 10 * time.Second
	defaultJWKSMaxAge          = 15 * time.Minute
	defaultJWKSMaxBodySize     = 256 << 10

	// maxJWKSKeys bounds the number of keys parsed from one JWKS.
	maxJWKSKeys = 100
	// maxJWKSRedirects bounds the redirects the default client follows.
	maxJWKSRedirects = 3
)

// JWKSOptions configure how a [Verifier] fetches and caches the JSON Web Key
// Sets of tenant issuers (see [IssuerConfig].JWKSURL). The zero value of each
// field means its default.
//
// Sets are fetched when a token first needs one, kept by URL and shared by
// the issuers that name the same URL. A token whose kid is not in the set
// makes the Verifier fetch the set again, and a set older than MaxAge is
// fetched again in the background while it stays in use; but one URL is
// fetched at most once per RefreshInterval, whatever asks for it, and
// concurrent requests wait for the one fetch under way rather than start
// their own. So a flood of tokens with made-up kids costs at most one fetch
// per URL per RefreshInterval, and an unreachable JWKS server costs a
// request at most FetchTimeout (or the request's own deadline, if sooner).
// A fetch that fails keeps the previous set, if there is one, in use.
type JWKSOptions struct {
	// HTTPClient fetches the sets. Default: a client that follows at most 3
	// redirects, each to https (or http when AllowHTTP), and has a Timeout
	// of FetchTimeout. Each fetch is bounded by FetchTimeout in any case.
	HTTPClient *http.Client

	// FetchTimeout bounds each fetch, including reading the body. Default
	// 5s.
	FetchTimeout time.Duration

	// RefreshInterval is the least time between the starts of two fetches
	// of one URL, failed ones included. A key the identity provider
	// publishes is picked up at most this long after the last fetch.
	// Default 10s.
	RefreshInterval time.Duration

	// MaxAge is how long a set is used before it is fetched again. Keys
	// removed from a set stop verifying tokens at most this long (plus
	// RefreshInterval) after their removal. Default 15m.
	MaxAge time.Duration

	// MaxBodySize caps the size of a JWKS response, in bytes; a larger
	// response fails the fetch. Default 256 KiB.
	MaxBodySize int64

	// AllowHTTP lets the Verifier fetch JWKS URLs with the http scheme. It
	// is for tests and local development only: keys fetched over plain
	// HTTP can be replaced by anyone on the path. Default false: only https
	// URLs are fetched, and tokens of an issuer with an http JWKS URL are
	// refused with ErrTokenKeyUnavailable.
	AllowHTTP bool
}

// withDefaults returns o with its zero fields set to their defaults.
func (o JWKSOptions) withDefaults() JWKSOptions {
	if o.FetchTimeout <= 0 {
		o.FetchTimeout = defaultJWKSFetchTimeout
	}
	if o.RefreshInterval <= 0 {
		o.RefreshInterval = defaultJWKSRefreshInterval
	}
	if o.MaxAge <= 0 {
		o.MaxAge = defaultJWKSMaxAge
	}
	if o.MaxBodySize <= 0 {
		o.MaxBodySize = defaultJWKSMaxBodySize
	}
	if o.HTTPClient == nil {
		allowHTTP := o.AllowHTTP
		o.HTTPClient = &http.Client{
			Timeout: o.FetchTimeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= maxJWKSRedirects {
					return fmt.Errorf("stopped after %d redirects", maxJWKSRedirects)
				}
				if req.URL.Scheme != "https" && !(allowHTTP && req.URL.Scheme == "http") {
					return fmt.Errorf("redirect to a %s URL refused", req.URL.Scheme)
				}
				return nil
			},
		}
	}
	return o
}

// jwksKey is a key of a JWKS that can verify tokens of one algorithm.
type jwksKey struct {
	kid string
	alg string // RS256 or ES256
	pub interface{ Equal(crypto.PublicKey) bool }
	opt jwt.ParseOption // jwt.WithKey(alg, pub)
}

type kidAlg struct{ kid, alg string }

// keySet is the usable keys of a fetched JWKS. It is immutable.
type keySet struct {
	keys  []jwksKey
	byKID map[kidAlg]int // index into keys; the first key of a kid wins
}

// find returns the key for a token with the given kid and alg. A token
// without a kid gets the set's key for alg if there is exactly one.
func (s *keySet) find(kid, alg string) (jwksKey, bool) {
	if kid != "" {
		i, ok := s.byKID[kidAlg{kid, alg}]
		if !ok {
			return jwksKey{}, false
		}
		return s.keys[i], true
	}
	var found jwksKey
	n := 0
	for _, k := range s.keys {
		if k.alg == alg {
			found = k
			n++
		}
	}
	return found, n == 1
}

// dropsAny reports whether next lacks a key of s, or has another key under
// its kid.
func (s *keySet) dropsAny(next *keySet) bool {
	for _, k := range s.keys {
		if !slices.ContainsFunc(next.keys, func(n jwksKey) bool {
			return n.kid == k.kid && n.alg == k.alg && n.pub.Equal(k.pub)
		}) {
			return true
		}
	}
	return false
}

// parseKeySet parses a JWKS and keeps the keys that can verify RS256 or
// ES256 tokens: RSA keys of at least 2048 bits and P-256 keys, whose use
// (if set) is "sig", whose key_ops (if set) include "verify" and whose alg
// (if set) is the algorithm they are kept for. Other entries, including
// those jwx cannot parse, are skipped.
func parseKeySet(body []byte) (*keySet, error) {
	set, err := jwk.Parse(body, jwk.WithStrictKeySetParsing(false), jwk.WithMaxKeys(maxJWKSKeys))
	if err != nil {
		return nil, fmt.Errorf("parse JWKS: %w", err)
	}
	ks := &keySet{byKID: make(map[kidAlg]int)}
	for i := range set.Len() {
		key, _ := set.Key(i)
		if key == nil || jwk.IsUnsupportedKey(key) {
			continue
		}
		if use, ok := key.KeyUsage(); ok && use != "sig" {
			continue
		}
		if ops, ok := key.KeyOps(); ok && !slices.Contains(ops, jwk.KeyOpVerify) {
			continue
		}
		pk, err := key.PublicKey()
		if err != nil {
			continue
		}
		var raw any
		if err := jwk.Export(pk, &raw); err != nil {
			continue
		}
		var alg string
		switch raw.(type) {
		case *rsa.PublicKey:
			alg = RS256
		case *ecdsa.PublicKey:
			alg = ES256
		default:
			continue
		}
		if checkPublicKey(alg, raw) != nil {
			continue
		}
		if a, ok := key.Algorithm(); ok && a.String() != alg {
			continue
		}
		k := jwksKey{alg: alg, pub: raw.(interface{ Equal(crypto.PublicKey) bool })}
		k.kid, _ = key.KeyID()
		k.opt = jwt.WithKey(signatureAlgorithm(alg), raw)
		if _, dup := ks.byKID[kidAlg{k.kid, k.alg}]; !dup && k.kid != "" {
			ks.byKID[kidAlg{k.kid, k.alg}] = len(ks.keys)
		}
		ks.keys = append(ks.keys, k)
	}
	return ks, nil
}

// jwksCache fetches and keeps the JWKS of each URL it is asked for. It is
// safe for concurrent use.
type jwksCache struct {
	opts   JWKSOptions
	now    func() time.Time
	logger *slog.Logger
	// changed is called, outside any lock, after a fetch of u replaced a
	// set by one that lacks one of its keys.
	changed func(u string)

	mu   sync.Mutex
	sets map[string]*jwksEntry
}

// jwksEntry is the state of one URL.
type jwksEntry struct {
	mu      sync.Mutex
	keys    *keySet       // the last set fetched, nil until a fetch succeeds
	fetched time.Time     // when the fetch of keys started
	tried   time.Time     // when the last fetch started, zero if none did
	err     error         // the error of the last fetch, if it failed
	flight  chan struct{} // closed when the running fetch ends; nil if none runs
}

func newJWKSCache(opts JWKSOptions, now func() time.Time, logger *slog.Logger, changed func(string)) *jwksCache {
	return &jwksCache{
		opts:    opts.withDefaults(),
		now:     now,
		logger:  logger,
		changed: changed,
		sets:    make(map[string]*jwksEntry),
	}
}

func (c *jwksCache) entry(u string) *jwksEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.sets[u]
	if !ok {
		e = new(jwksEntry)
		c.sets[u] = e
	}
	return e
}

// key returns the key of the JWKS at u for a token with the given kid and
// alg, fetching the set if it has none yet, if it has no such key, or if it
// is older than MaxAge, as far as RefreshInterval allows. It waits for a
// fetch at most until ctx is done.
func (c *jwksCache) key(ctx context.Context, u, kid, alg string) (jwksKey, *apperr.Error) {
	e := c.entry(u)
	waited := false
	for {
		e.mu.Lock()
		now := c.now()
		var k jwksKey
		found := false
		if e.keys != nil {
			k, found = e.keys.find(kid, alg)
		}
		mayFetch := !waited && e.flight == nil && (e.tried.IsZero() || now.Sub(e.tried) >= c.opts.RefreshInterval)
		if found {
			if mayFetch && now.Sub(e.fetched) >= c.opts.MaxAge {
				c.start(ctx, u, e, now) // in the background: use k meanwhile
			}
			e.mu.Unlock()
			return k, nil
		}
		if mayFetch {
			c.start(ctx, u, e, now)
		}
		flight, keys, lastErr := e.flight, e.keys, e.err
		e.mu.Unlock()

		if flight == nil || waited {
			if keys == nil {
				return jwksKey{}, unauthenticated(ErrTokenKeyUnavailable, lastErr)
			}
			return jwksKey{}, unauthenticated(ErrTokenKeyUnknown, nil)
		}
		select {
		case <-flight:
			waited = true
		case <-ctx.Done():
			return jwksKey{}, unauthenticated(ErrTokenKeyUnavailable, context.Cause(ctx))
		}
	}
}

// start starts a fetch of u. e.mu is held.
func (c *jwksCache) start(ctx context.Context, u string, e *jwksEntry, now time.Time) {
	flight := make(chan struct{})
	e.tried, e.flight = now, flight
	// The fetch outlives the request that started it, which may be
	// cancelled while others wait for the fetch; FetchTimeout bounds it.
	ctx = context.WithoutCancel(ctx)
	go func() {
		// Whatever happens, the waiters are released and the entry may
		// be fetched again: a panic here would otherwise end the
		// process, or leave the tenant's keys unfetchable for good.
		defer close(flight)
		defer func() {
			if p := recover(); p != nil {
				c.logger.LogAttrs(ctx, slog.LevelError, "auth: internal error: panic after fetching a JWKS",
					slog.String("url", u), slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
			}
		}()
		ks, err := c.fetchRecovered(ctx, u)
		if c.finish(ctx, e, u, ks, err, now) {
			c.changed(u)
		}
	}()
}

// finish records the outcome of a fetch of u in e, which it marks as not
// in flight even if it panics, and reports whether the new set dropped a
// key of the previous one.
func (c *jwksCache) finish(ctx context.Context, e *jwksEntry, u string, ks *keySet, err error, now time.Time) (dropped bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	defer func() { e.flight = nil }()
	if err != nil {
		e.err = err
		c.logger.LogAttrs(ctx, slog.LevelWarn, "auth: fetching a JWKS failed",
			slog.String("url", u), slog.Bool("previous_set_kept", e.keys != nil), slog.Any("err", err))
		return false
	}
	dropped = e.keys != nil && e.keys.dropsAny(ks)
	e.keys, e.fetched, e.err = ks, now, nil
	return dropped
}

// fetchRecovered is fetch, with a panic (a bug meeting what a tenant's
// issuer serves) as its error: on the fetch's own goroutine a panic would
// end the process, and every tenant's service.
func (c *jwksCache) fetchRecovered(ctx context.Context, u string) (ks *keySet, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.logger.LogAttrs(ctx, slog.LevelError, "auth: internal error: panic while fetching a JWKS",
				slog.String("url", u), slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
			ks, err = nil, fmt.Errorf("internal error fetching the JWKS (panic: %v)", p)
		}
	}()
	return c.fetch(ctx, u)
}

// fetch gets and parses the JWKS at u.
func (c *jwksCache) fetch(ctx context.Context, u string) (*keySet, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, errors.New("JWKS URL does not parse")
	}
	if pu.Scheme != "https" && !(c.opts.AllowHTTP && pu.Scheme == "http") {
		return nil, fmt.Errorf("JWKS URL %s: only https URLs are fetched (JWKSOptions.AllowHTTP is not set)", pu.Redacted())
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS %s: status %d", pu.Redacted(), resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBodySize+1))
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: read body: %w", pu.Redacted(), err)
	}
	if int64(len(body)) > c.opts.MaxBodySize {
		return nil, fmt.Errorf("fetch JWKS %s: body larger than %d bytes", pu.Redacted(), c.opts.MaxBodySize)
	}
	ks, err := parseKeySet(body)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", pu.Redacted(), err)
	}
	return ks, nil
}
