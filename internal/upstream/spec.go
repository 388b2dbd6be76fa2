package upstream

import (
	"errors"
	"fmt"
	"time"
)

// Bounds of a Spec.
const (
	// DefaultTimeout is the time an attempt on one URL may take when a
	// Spec's Timeout is zero.
	DefaultTimeout = time.Second
	// MaxTimeout bounds a Spec's Timeout: an upstream that needs longer
	// does not belong on a request's path.
	MaxTimeout = 30 * time.Second
	// MaxURLs bounds the URLs of a Spec.
	MaxURLs = 8
)

// Spec is an upstream as a tenant declares it, under upstreams.NAME of
// tenant.yaml:
//
//	upstreams:
//	  inventory:
//	    urls: [https://inventory-a.example/graphql, https://inventory-b.example/graphql]
//	    timeout: 300ms
//	    hedge: 50ms
//	    headers:
//	      Authorization: "Bearer ${secret:inventoryToken}"
type Spec struct {
	// URLs are the upstream's GraphQL endpoints, equivalent replicas
	// tried in this order: a call goes to the first whose breaker is
	// closed and fails over to the next. Each must be https, or http on
	// a loopback host; at least one, at most MaxURLs.
	URLs []string `yaml:"urls"`
	// Timeout bounds one attempt on one URL, from sending the request to
	// reading the whole response; the caller's deadline bounds it as
	// well. Zero means DefaultTimeout; at most MaxTimeout.
	Timeout time.Duration `yaml:"timeout"`
	// Hedge, when positive, hedges the requests for entities: an attempt
	// that has neither answered nor failed within Hedge is joined by one
	// on the next URL whose breaker allows it, at most two in flight; the
	// first answer wins and the other attempt is cancelled, which its
	// URL's breaker counts neither as a failure nor as a success. Zero,
	// the default, turns hedging off: URLs are tried one after another.
	// It must be shorter than the timeout, and needs two or more URLs
	// (with one there is nowhere to hedge to, so a hedge there is
	// refused as the mistake it must be).
	Hedge time.Duration `yaml:"hedge"`
	// Headers are sent with every request, by name. A value may refer to
	// the tenant's secrets as ${secret:NAME}, resolved at each call, so
	// a rotated secret is sent from the next call on. Headers the
	// gateway sets (Content-Type, Accept, Host, ...) may not be given.
	Headers map[string]string `yaml:"headers"`
}

// Validate reports every problem of s at once, judging its URLs with g
// (nil: the zero Guard) and its secret references against secretNames,
// the secrets the tenant declares. Each problem is an error of its own,
// joined with errors.Join, whose message starts with the key it is about,
// relative to the upstream: "urls: ", "urls[1]: ", "timeout: ",
// "hedge: " or "headers.NAME: ", so that a loader can point at its line in
// tenant.yaml. Messages never repeat a URL.
func (s Spec) Validate(g *Guard, secretNames []string) error {
	known := make(map[string]bool, len(secretNames))
	for _, n := range secretNames {
		known[n] = true
	}
	return errors.Join(s.problems(g, func(name string) bool { return known[name] })...)
}

// problems returns the problems of s; knownSecret, if not nil, says
// whether a secret exists.
func (s Spec) problems(g *Guard, knownSecret func(string) bool) []error {
	if g == nil {
		g = &Guard{}
	}
	var errs []error
	switch {
	case len(s.URLs) == 0:
		errs = append(errs, errors.New("urls: at least one URL is needed"))
	case len(s.URLs) > MaxURLs:
		errs = append(errs, fmt.Errorf("urls: %d URLs; at most %d", len(s.URLs), MaxURLs))
	}
	first := make(map[string]int, len(s.URLs))
	for i, u := range s.URLs {
		if j, ok := first[u]; ok {
			errs = append(errs, fmt.Errorf("urls[%d]: the same URL as urls[%d]", i, j))
			continue
		}
		first[u] = i
		if err := g.CheckURL(u); err != nil {
			errs = append(errs, fmt.Errorf("urls[%d]: %w", i, err))
		}
	}
	timeoutOK := false
	switch {
	case s.Timeout < 0:
		errs = append(errs, fmt.Errorf("timeout: %v is negative", s.Timeout))
	case s.Timeout > MaxTimeout:
		errs = append(errs, fmt.Errorf("timeout: %v is longer than the most allowed, %v", s.Timeout, MaxTimeout))
	default:
		timeoutOK = true
	}
	if s.Hedge < 0 {
		errs = append(errs, fmt.Errorf("hedge: %v is negative", s.Hedge))
	}
	if s.Hedge > 0 && len(s.URLs) == 1 {
		errs = append(errs, errors.New("hedge: needs two or more URLs: a hedged request goes to the next URL"))
	}
	if s.Hedge > 0 && timeoutOK && s.Hedge >= s.timeout() {
		what := "the timeout"
		if s.Timeout == 0 {
			what = "the default timeout"
		}
		errs = append(errs, fmt.Errorf("hedge: %v is not shorter than %s, %v", s.Hedge, what, s.timeout()))
	}
	hs, herrs := parseHeaders(s.Headers)
	errs = append(errs, herrs...)
	if knownSecret != nil {
		for _, h := range hs {
			for _, p := range h.parts {
				if p.secret != "" && !knownSecret(p.secret) {
					errs = append(errs, fmt.Errorf("headers.%s: secret %q is not under the tenant's secrets", h.name, p.secret))
				}
			}
		}
	}
	return errs
}

// timeout returns the time an attempt may take.
func (s Spec) timeout() time.Duration {
	if s.Timeout == 0 {
		return DefaultTimeout
	}
	return s.Timeout
}
