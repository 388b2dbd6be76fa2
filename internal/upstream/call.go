package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"
)

var (
	// errMalformed: the body is not the GraphQL response expected.
	errMalformed = errors.New("malformed response")
	// errTooLarge: the body is larger than MaxResponseBytes.
	errTooLarge = errors.New("response larger than the limit")
	// errNoData: the response has errors and no data.
	errNoData = errors.New("errors without data")
)

// response is a GraphQL response whose data is a T.
type response[T any] struct {
	Data   *T         `json:"data"`
	Errors []gqlError `json:"errors"`
}

// gqlError is an error of a GraphQL response. Its message is the
// upstream's, for logs only.
type gqlError struct {
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

// call sends body to the upstream's URLs in order, skipping those whose
// breaker is open, until one answers with data that check accepts; it
// fails over to the next URL after any failure, while ctx lasts. Every
// request is a query, so a retry can do no harm. A positive hedge lets
// a second attempt join a slow one (see hedged); zero tries the URLs one
// after another.
func call[T any](c *Client, ctx context.Context, body []byte, hedge time.Duration, check func(*T) error) (*response[T], error) {
	hdr, err := expandHeaders(c.headers, func(name string) (string, error) { return c.secret(ctx, name) })
	if err != nil {
		attrs := c.requestAttrs(ctx, nil)
		attrs = append(attrs, slog.Any("error", err))
		c.logger.LogAttrs(ctx, slog.LevelWarn, "upstream headers failed: the call is not made", attrs...)
		return nil, &UnavailableError{Upstream: c.name, ctxErr: ctx.Err()}
	}
	var (
		resp     *response[T]
		attempts int
	)
	if hedge > 0 && len(c.targets) > 1 {
		resp, attempts = hedged(c, ctx, hdr, body, hedge, check)
	} else {
		resp, attempts = inTurn(c, ctx, hdr, body, check)
	}
	if resp != nil {
		return resp, nil
	}
	ue := &UnavailableError{Upstream: c.name, Attempts: attempts, ctxErr: ctx.Err()}
	if attempts == 0 && ue.ctxErr == nil {
		attrs := c.requestAttrs(ctx, nil)
		c.logger.LogAttrs(ctx, slog.LevelWarn, "upstream not tried: every URL's breaker is open", attrs...)
	}
	return nil, ue
}

// inTurn tries the URLs one after another, on the caller's goroutine,
// and returns the first answer (nil if none) and the number of attempts.
func inTurn[T any](c *Client, ctx context.Context, hdr map[string][]string, body []byte, check func(*T) error) (*response[T], int) {
	attempts := 0
	for _, t := range c.targets {
		if ctx.Err() != nil {
			break
		}
		ok, probe := t.breaker.allow(time.Now())
		if !ok {
			continue
		}
		attempts++
		r := run(c, ctx, t, probe, hdr, body, check)
		settle(c, ctx, &r, false)
		if r.panicked != "" {
			panic(r.panicked)
		}
		if r.err == nil {
			return r.resp, attempts
		}
	}
	return nil, attempts
}

// try is one attempt at a URL and what came of it.
type try[T any] struct {
	t          *target
	probe      bool // the attempt is t's half-open probe
	start, end time.Time

	resp    *response[T]
	status  int
	detail  any
	outcome outcome
	err     error
	// panicked is the value and stack of a panic of the attempt. The
	// caller panics with it once the attempt is settled, on its own
	// goroutine: hedged attempts run on goroutines of their own, where a
	// panic would end the process.
	panicked string
}

// run makes one attempt at t, which t's breaker allowed (probe as allow
// said), within ctx. A panic of the attempt is recovered into
// r.panicked.
func run[T any](c *Client, ctx context.Context, t *target, probe bool, hdr map[string][]string, body []byte, check func(*T) error) (r try[T]) {
	r = try[T]{t: t, probe: probe, start: time.Now()}
	defer func() {
		if p := recover(); p != nil {
			r.resp, r.err = nil, nil
			r.panicked = fmt.Sprintf("%v\n\ngoroutine of the upstream attempt:\n%s", p, debug.Stack())
		}
		r.end = time.Now()
	}()
	r.resp, r.status, r.detail, r.outcome, r.err = attempt(c, ctx, t, hdr, body, check)
	return r
}

// settle records r's outcome in its URL's breaker and logs its failure,
// with the request attributes of ctx, the caller's context. An attempt
// that lost, cancelled because another attempt answered first, says
// nothing of its URL when it failed, whatever the failure looked like:
// it is recorded as unknown and logged at Debug only.
func settle[T any](c *Client, ctx context.Context, r *try[T], lost bool) {
	if r.panicked != "" {
		// Says nothing of the URL, and releases a half-open probe: the
		// breaker would otherwise wait for its outcome, and refuse the
		// URL, for good. The caller panics with it.
		r.t.breaker.record(r.end, r.probe, unknown, nil)
		return
	}
	o := r.outcome
	if lost && r.err != nil {
		o = unknown
	}
	if changed, to, failures, down := r.t.breaker.record(r.end, r.probe, o, r.err); changed {
		c.logBreaker(ctx, r.t, to, failures, down, r.err)
	}
	if r.err == nil {
		return
	}
	err := r.err
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is logged without its query
	}
	attrs := c.requestAttrs(ctx, make([]slog.Attr, 0, 8))
	attrs = append(attrs,
		slog.String("url", r.t.logURL), slog.Int("url_index", r.t.index),
		slog.Duration("duration", r.end.Sub(r.start)))
	if lost {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "upstream attempt cancelled: another URL answered first", attrs...)
		return
	}
	attrs = append(attrs, slog.Any("error", err))
	if r.status != 0 {
		attrs = append(attrs, slog.Int("status", r.status))
	}
	if r.detail != nil {
		attrs = append(attrs, slog.Any("upstream_said", r.detail))
	}
	c.logger.LogAttrs(ctx, slog.LevelWarn, "upstream attempt failed", attrs...)
}

// attempt sends body to t once, within the Spec's timeout and ctx, and
// returns the response, the HTTP status if there was one, what the
// upstream said of a failure (for the log: the start of a body that was
// not 2xx, or the errors of a response without data), and what the
// attempt says of t's health.
func attempt[T any](c *Client, ctx context.Context, t *target, hdr map[string][]string, body []byte, check func(*T) error) (_ *response[T], status int, detail any, _ outcome, aerr error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// fail classes a failure: unknown when the caller gave up, faulty
	// otherwise (the attempt's own timeout included).
	fail := func() outcome {
		if ctx.Err() != nil {
			return unknown
		}
		return faulty
	}

	req, err := http.NewRequestWithContext(actx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, nil, faulty, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json;q=0.9")
	// A query is idempotent: the transport may resend it on a fresh
	// connection when a kept-alive one turns out closed (the header is
	// not sent).
	req.Header["Idempotency-Key"] = nil
	endSpan := c.startAttempt(ctx, t, req)
	defer func() { endSpan(status, aerr) }()
	res, err := c.http.Do(req)
	if err != nil {
		return nil, 0, nil, fail(), err
	}
	// A body read to its end leaves the connection to be reused; after
	// a failure it may not have been, and the connection is closed.
	defer res.Body.Close()

	if s := res.StatusCode; s < 200 || s > 299 {
		start, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		if s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500 {
			return nil, s, string(start), faulty, fmt.Errorf("status %d", s)
		}
		// 3xx and 4xx: the server works, and refuses this request (its
		// document, its credentials); another request may well pass,
		// so the breaker does not count it, but another URL may take
		// this one.
		return nil, s, string(start), healthy, fmt.Errorf("status %d", s)
	}
	if res.ContentLength > c.maxBytes {
		return nil, res.StatusCode, nil, faulty, fmt.Errorf("%w: Content-Length %d", errTooLarge, res.ContentLength)
	}

	b, err := c.readBody(res.Body, res.ContentLength)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, res.StatusCode, nil, faulty, err
	case err != nil && actx.Err() != nil:
		// The body was cut off by the timeout, not malformed.
		return nil, res.StatusCode, nil, fail(), err
	case err != nil:
		return nil, res.StatusCode, nil, faulty, fmt.Errorf("%w: %v", errMalformed, err)
	}
	out, err := decode[T](b)
	switch {
	case err != nil:
		return nil, res.StatusCode, nil, faulty, fmt.Errorf("%w: %v", errMalformed, err)
	case out.Data == nil && len(out.Errors) > 0:
		// The operation failed as a whole: the upstream could resolve
		// none of it, as when its own storage is down.
		return nil, res.StatusCode, summarize(out.Errors), faulty, errNoData
	case out.Data == nil:
		return nil, res.StatusCode, nil, faulty, fmt.Errorf("%w: no data", errMalformed)
	}
	if err := check(out.Data); err != nil {
		return nil, res.StatusCode, nil, faulty, err
	}
	return out, res.StatusCode, nil, healthy, nil
}

// decode decodes body, a response, into a response[T]: with
// decodeEntities if T is entitiesData, and otherwise with decodeJSON.
func decode[T any](body []byte) (*response[T], error) {
	if d, ok := any(decodeEntities).(func([]byte) (*response[T], error)); ok {
		return d(body)
	}
	return decodeJSON[T](body)
}

// decodeJSON decodes the first JSON value of body into a response[T],
// with numbers as json.Number.
func decodeJSON[T any](body []byte) (*response[T], error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out response[T]
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

// logBreaker logs a breaker's opening or closing.
func (c *Client) logBreaker(ctx context.Context, t *target, to BreakerState, failures int, down time.Duration, err error) {
	attrs := c.requestAttrs(ctx, make([]slog.Attr, 0, 6))
	attrs = append(attrs, slog.String("url", t.logURL), slog.Int("url_index", t.index))
	if to == Open {
		attrs = append(attrs, slog.Int("consecutive_failures", failures),
			slog.Duration("cooldown", t.breaker.cfg.Cooldown), slog.Any("error", err))
		c.logger.LogAttrs(ctx, slog.LevelWarn, "upstream URL out of use: breaker open", attrs...)
		return
	}
	attrs = append(attrs, slog.Duration("out_of_use_for", down.Round(time.Millisecond)))
	c.logger.LogAttrs(ctx, slog.LevelInfo, "upstream URL back in use: breaker closed", attrs...)
}

// summarize returns the first few of errs, their messages clipped, for
// the log.
func summarize(errs []gqlError) []string {
	const most, length = 5, 300
	out := make([]string, 0, min(len(errs), most))
	for _, e := range errs[:min(len(errs), most)] {
		msg := e.Message
		if len(msg) > length {
			msg = msg[:length] + "..."
		}
		if len(e.Path) > 0 {
			p, _ := json.Marshal(e.Path)
			msg += " at " + string(p)
		}
		out = append(out, msg)
	}
	return out
}
