package logging_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/tenantgraph/tenantgraph/internal/logging"
)

type secret string

func (secret) LogValue() slog.Value { return slog.StringValue(logging.Redacted) }

func TestRedact(t *testing.T) {
	const marker = "s3cr3t-marker"
	tests := []struct {
		name string
		attr slog.Attr
	}{
		{"authorization", slog.String("Authorization", "Bearer "+marker)},
		{"token", slog.String("token", marker)},
		{"suffix", slog.String("jwt_secret", marker)},
		{"dotted", slog.String("headers.cookie", marker)},
		{"password", slog.String("PASSWORD", marker)},
		{"database url", slog.String("dsn", "postgres://app:"+marker+"@db:5432/x")},
		{"redis url", slog.String("redis", "redis://:"+marker+"@127.0.0.1:6379/0")},
		{"log valuer", slog.Any("config", secret(marker))},
		{"group", slog.Group("req", slog.String("authorization", marker))},
	}
	for _, format := range []logging.Format{logging.FormatJSON, logging.FormatText} {
		for _, tt := range tests {
			t.Run(string(format)+"/"+tt.name, func(t *testing.T) {
				var buf bytes.Buffer
				logger := logging.New(&buf, format, slog.LevelInfo)
				logger.LogAttrs(t.Context(), slog.LevelInfo, "msg", tt.attr)
				if strings.Contains(buf.String(), marker) {
					t.Fatalf("secret leaked: %s", buf.String())
				}
			})
		}
	}
}

func TestRedactKeepsOrdinaryValues(t *testing.T) {
	var buf bytes.Buffer
	logger := logging.New(&buf, logging.FormatJSON, slog.LevelInfo)
	logger.Info("msg", "tenant", "acme", "url", "postgres://app@db/x", "monkey", "banana")
	for _, want := range []string{`"tenant":"acme"`, `"url":"postgres://app@db/x"`, `"monkey":"banana"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log %s lacks %s", buf.String(), want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]logging.Format{"": logging.FormatAuto, "JSON": logging.FormatJSON, "text": logging.FormatText} {
		got, err := logging.ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := logging.ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) succeeded")
	}
}
