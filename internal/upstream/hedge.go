package upstream

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// errLost is the cause of the cancellation of an attempt that another
// attempt of the same call answered before.
var errLost = errors.New("another attempt answered first")

// hedged tries the URLs in order as inTurn does, and hedges: when the
// one attempt in flight has neither answered nor failed within hedge, it
// starts one more on the next URL whose breaker allows it, so that at
// most two are in flight. The first answer wins; the other attempt is
// cancelled, and settled as lost. When one of two fails, hedged waits
// for the other; when none is left in flight, it goes on to the next
// URL, and may hedge again. Attempts run on goroutines of their own, all
// of which have ended when hedged returns. It returns the answer (nil if
// none) and the number of attempts. If an attempt panics, hedged cancels
// and waits for the other, then panics with the first's value and stack.
func hedged[T any](c *Client, ctx context.Context, hdr map[string][]string, body []byte, hedge time.Duration, check func(*T) error) (*response[T], int) {
	type inFlight struct {
		t      *target
		cancel context.CancelCauseFunc
	}
	var (
		// done has room for every attempt in flight, so that none
		// blocks on it after hedged stopped listening.
		done     = make(chan try[T], 2)
		flying   = make([]inFlight, 0, 2)
		next     = 0 // the index of the next URL to consider
		attempts = 0
	)
	// start starts an attempt on the next URL whose breaker allows one,
	// and returns its target, or nil when no URL is left.
	start := func() *target {
		for next < len(c.targets) {
			t := c.targets[next]
			next++
			ok, probe := t.breaker.allow(time.Now())
			if !ok {
				continue
			}
			actx, cancel := context.WithCancelCause(ctx)
			flying = append(flying, inFlight{t, cancel})
			attempts++
			go func() { done <- run(c, actx, t, probe, hdr, body, check) }()
			return t
		}
		return nil
	}
	// land removes the attempt at t from flying, releasing its context.
	land := func(t *target) {
		for i, f := range flying {
			if f.t == t {
				f.cancel(nil)
				flying = append(flying[:i], flying[i+1:]...)
				return
			}
		}
	}

	timer := time.NewTimer(hedge)
	timer.Stop()
	defer timer.Stop()
	var (
		answer   *response[T]
		panicked string
	)
	for answer == nil && panicked == "" {
		if len(flying) == 0 {
			if ctx.Err() != nil || start() == nil {
				break
			}
			timer.Reset(hedge)
		}
		select {
		case r := <-done:
			land(r.t)
			settle(c, ctx, &r, false)
			panicked = r.panicked
			answer = r.resp // nil when the attempt failed or panicked
		case <-timer.C:
			if len(flying) != 1 || ctx.Err() != nil {
				continue
			}
			slow := flying[0].t
			if t := start(); t != nil {
				attrs := c.requestAttrs(ctx, make([]slog.Attr, 0, 6))
				attrs = append(attrs,
					slog.String("url", t.logURL), slog.Int("url_index", t.index),
					slog.String("slow_url", slow.logURL), slog.Int("slow_url_index", slow.index),
					slog.Duration("hedge", hedge))
				c.logger.LogAttrs(ctx, slog.LevelDebug, "upstream attempt hedged: the one in flight is slow", attrs...)
			}
		}
	}
	// Cancel what is still in flight, and wait for it.
	for _, f := range flying {
		f.cancel(errLost)
	}
	for range flying {
		r := <-done
		settle(c, ctx, &r, true)
		switch {
		case r.panicked == "":
		case panicked == "" && answer == nil:
			panicked = r.panicked
		default:
			// Only one panic goes on, and none past an answer: log this
			// one.
			attrs := c.requestAttrs(ctx, make([]slog.Attr, 0, 4))
			attrs = append(attrs, slog.String("url", r.t.logURL), slog.String("panic", r.panicked))
			c.logger.LogAttrs(ctx, slog.LevelError, "upstream attempt panicked", attrs...)
		}
	}
	if panicked != "" {
		panic(panicked)
	}
	return answer, attempts
}
