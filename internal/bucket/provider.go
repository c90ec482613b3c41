package bucket

import (
	"context"
	"sync"
)

// Provider hands out the process's one S3 client, made on first need from
// the SDK's default configuration. A failure to make it is returned, not
// kept: the next call tries again, so a warm sandbox recovers from a
// passing fault.
type Provider struct {
	pathStyle bool
	mu        sync.Mutex
	client    *Client
}

// NewProvider returns a provider whose client uses path-style addressing
// when pathStyle is set (S3-compatible servers).
func NewProvider(pathStyle bool) *Provider { return &Provider{pathStyle: pathStyle} }

// Ready returns a provider of an existing client (tests, benchmarks).
func Ready(c *Client) *Provider { return &Provider{client: c} }

// Client returns the client, making it if needed.
func (p *Provider) Client(ctx context.Context) (*Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil {
		return p.client, nil
	}
	c, err := New(ctx, p.pathStyle)
	if err != nil {
		return nil, err
	}
	p.client = c
	return c, nil
}
