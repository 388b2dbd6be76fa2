package store_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return store.NewMemory(slog.New(slog.NewTextHandler(t.Output(), nil)))
	})
}

func TestNewMemoryWarnsDataIsLost(t *testing.T) {
	var buf bytes.Buffer
	store.NewMemory(slog.New(slog.NewTextHandler(&buf, nil)))
	log := buf.String()
	require.Contains(t, log, "level=WARN")
	require.True(t, strings.Contains(log, "memory") && strings.Contains(log, "lost"), log)
}
