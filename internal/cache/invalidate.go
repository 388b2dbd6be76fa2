package cache

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Subscription timing.
const (
	// subscribeWait bounds how long New waits for the subscription.
	subscribeWait = time.Second
	// subPingInterval is how long the subscription may stay silent before
	// it is pinged; a ping unanswered for as long again means the
	// connection is dead, and the cache subscribes anew.
	subPingInterval = 5 * time.Second
	// Back-off between attempts to subscribe again.
	subMinBackoff = 50 * time.Millisecond
	subMaxBackoff = 2 * time.Second
	// maxPendingKeys is how many queued keys of one namespace are kept
	// before the whole namespace is queued instead.
	maxPendingKeys = 64
)

// invalidation is what to drop: keys of ns, or all of ns.
type invalidation struct {
	ns   string
	keys []string
	all  bool
}

// message is an invalidation on the channel, as JSON.
type message struct {
	From      string   `json:"from"` // the sending instance, which has applied it already
	Namespace string   `json:"ns"`
	Keys      []string `json:"keys,omitempty"`
	All       bool     `json:"all,omitempty"`
}

// publish carries out invs in Redis (deleting keys, or giving namespaces a
// new generation) and announces them on the channel, in one round trip.
func (c *Cache) publish(ctx context.Context, invs []invalidation) error {
	if !c.breaker.Allow() {
		return errUnavailable
	}
	return c.send(ctx, invs)
}

// send is publish without the breaker.
func (c *Cache) send(ctx context.Context, invs []invalidation) error {
	opCtx, cancel := context.WithTimeout(ctx, c.cfg.OpTimeout)
	defer cancel()
	pipe := c.rdb.Pipeline()
	for _, inv := range invs {
		if inv.all {
			pipe.Set(opCtx, c.genKey(inv.ns), newGen(), c.genTTL())
		} else {
			vks := make([]string, len(inv.keys))
			for i, key := range inv.keys {
				vks[i] = c.valueKey(inv.ns, key)
			}
			pipe.Del(opCtx, vks...)
		}
		payload, err := json.Marshal(message{From: c.id, Namespace: inv.ns, Keys: inv.keys, All: inv.all})
		if err != nil {
			return err
		}
		pipe.Publish(opCtx, c.channel(), payload)
	}
	_, err := pipe.Exec(opCtx)
	c.record(ctx, err)
	return err
}

// flushPending sends the queued invalidations; on failure they stay queued.
func (c *Cache) flushPending(ctx context.Context) error {
	invs := c.pending.take()
	if len(invs) == 0 {
		return nil
	}
	if err := c.send(ctx, invs); err != nil {
		for _, inv := range invs {
			c.pending.add(inv)
		}
		return err
	}
	c.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "cache: sent queued invalidations", slog.Int("count", len(invs)))
	return nil
}

// pendingInvalidations are invalidations Redis has not received yet,
// merged by namespace. Its methods may be called concurrently.
type pendingInvalidations struct {
	mu     sync.Mutex
	spaces map[string]*pendingSpace
}

type pendingSpace struct {
	all  bool
	keys map[string]struct{}
}

func (p *pendingInvalidations) add(inv invalidation) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.spaces == nil {
		p.spaces = map[string]*pendingSpace{}
	}
	s := p.spaces[inv.ns]
	if s == nil {
		s = &pendingSpace{keys: map[string]struct{}{}}
		p.spaces[inv.ns] = s
	}
	if s.all {
		return
	}
	for _, key := range inv.keys {
		s.keys[key] = struct{}{}
	}
	if inv.all || len(s.keys) > maxPendingKeys {
		s.all, s.keys = true, nil
	}
}

func (p *pendingInvalidations) take() []invalidation {
	p.mu.Lock()
	defer p.mu.Unlock()
	invs := make([]invalidation, 0, len(p.spaces))
	for ns, s := range p.spaces {
		inv := invalidation{ns: ns, all: s.all}
		for key := range s.keys {
			inv.keys = append(inv.keys, key)
		}
		invs = append(invs, inv)
	}
	p.spaces = nil
	return invs
}

func (p *pendingInvalidations) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.spaces)
}

// startSubscription subscribes to the invalidation channel, waits (within
// ctx and subscribeWait) for the server to confirm, and starts the
// subscriber. It returns the error that prevented the confirmation.
func (c *Cache) startSubscription(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, subscribeWait)
	defer cancel()
	c.sub = c.subscribe(ctx)
	var err error
	confirmed := false
	for !confirmed && err == nil {
		var msg any
		msg, err = c.sub.ReceiveTimeout(ctx, subscribeWait)
		_, confirmed = msg.(*redis.Subscription)
	}
	c.wg.Add(1)
	go c.subscriber(c.sub, confirmed)
	return err
}

// subscriber receives invalidations from other instances until Close.
// go-redis reconnects and subscribes again after a connection fails; as
// messages sent meanwhile are lost, every in-process copy then becomes
// stale (it is read again from Redis before it is served fresh).
func (c *Cache) subscriber(sub *redis.PubSub, subscribed bool) {
	defer c.wg.Done()
	ctx := context.Background()
	pinged := false
	backoff := subMinBackoff
	var failingSince time.Time
	for {
		msg, err := sub.ReceiveTimeout(ctx, subPingInterval)
		if c.closed.Load() {
			return
		}
		if err != nil {
			if isTimeout(err) {
				if !pinged {
					pinged = sub.Ping(ctx) == nil
					if pinged {
						continue
					}
				}
				// Silent after a ping: the connection is dead although
				// it looks open. Start a new one.
				c.record(ctx, errors.New("cache: no answer to a ping on the invalidation subscription"))
				sub = c.resubscribe(sub)
				pinged = false
				continue
			}
			// A failing subscription says Redis is unavailable even when
			// no request asks it.
			c.record(ctx, err)
			if failingSince.IsZero() {
				failingSince = time.Now()
			}
			c.subscriptionFailed(err, failingSince)
			select {
			case <-c.done:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, subMaxBackoff)
			if _, ok := c.rdb.(*redis.ClusterClient); ok {
				// go-redis would connect to the same node again; another
				// master may answer.
				sub = c.resubscribe(sub)
			}
			continue
		}
		pinged = false
		backoff = subMinBackoff
		failingSince = time.Time{}
		switch msg := msg.(type) {
		case *redis.Subscription:
			if msg.Kind != "subscribe" {
				continue
			}
			if subscribed {
				c.local.expireAll()
				c.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "cache: subscribed to invalidations again; in-process copies will be checked against Redis")
			}
			subscribed = true
		case *redis.Message:
			c.receive(msg.Payload)
		}
	}
}

// subscribe returns a new subscription to the invalidation channel. On a
// Redis Cluster, which carries a message published on any node to the
// subscribers of every node, it subscribes on a master that answers, not
// on the master of the channel's hash slot as go-redis would: the loss of
// that one master then does not stop invalidations (the subscriber
// subscribes again elsewhere).
func (c *Cache) subscribe(ctx context.Context) *redis.PubSub {
	cc, ok := c.rdb.(*redis.ClusterClient)
	if !ok {
		return c.rdb.Subscribe(ctx, c.channel())
	}
	var (
		mu   sync.Mutex
		node *redis.Client
	)
	cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		if m.Ping(ctx).Err() == nil {
			mu.Lock()
			if node == nil {
				node = m
			}
			mu.Unlock()
		}
		return nil
	})
	if node == nil {
		return cc.Subscribe(ctx, c.channel())
	}
	return node.Subscribe(ctx, c.channel())
}

// resubscribe replaces sub by a new subscription on a new connection.
func (c *Cache) resubscribe(sub *redis.PubSub) *redis.PubSub {
	sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.DialTimeout+2*c.cfg.OpTimeout)
	sub = c.subscribe(ctx)
	cancel()
	c.subMu.Lock()
	c.sub = sub
	c.subMu.Unlock()
	if c.closed.Load() {
		// Close may have closed the old subscription only.
		sub.Close()
	}
	return sub
}

// subscriptionFailed logs a failure of the subscription. It warns, at most
// once per WarnInterval, only when the subscription has been failing for a
// WarnInterval while Redis is otherwise healthy; during an outage the
// breaker's warnings say it already.
func (c *Cache) subscriptionFailed(err error, failingSince time.Time) {
	now := time.Now()
	if !c.breaker.Allow() || now.Sub(failingSince) < c.cfg.WarnInterval {
		c.cfg.Logger.LogAttrs(context.Background(), slog.LevelDebug, "cache: invalidation subscription failed; retrying",
			slog.Any("error", err))
		return
	}
	if ok, suppressed := c.subWarnings.allow(now); ok {
		c.cfg.Logger.LogAttrs(context.Background(), slog.LevelWarn, "cache: invalidation subscription failed; retrying",
			slog.Any("error", err), slog.Time("failing_since", failingSince), slog.Int("suppressed", suppressed))
	}
}

// receive applies an invalidation message from the channel.
func (c *Cache) receive(payload string) {
	var m message
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		// Not ours to read: be safe.
		c.local.expireAll()
		return
	}
	if m.From == c.id {
		return
	}
	if m.All {
		c.local.deleteSpace(m.Namespace)
	} else {
		c.local.delete(m.Namespace, m.Keys)
	}
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
