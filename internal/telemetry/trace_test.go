package telemetry_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/telemetry"
)

// TestNewTracing checks which OTEL_* settings turn tracing on, and that
// with none there is no provider to cost anything.
func TestNewTracing(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		enabled bool
		err     string
	}{
		{name: "nothing set", env: map[string]string{}},
		{name: "service name only", env: map[string]string{"OTEL_SERVICE_NAME": "gw"}},
		{name: "endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, enabled: true},
		{name: "traces endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, enabled: true},
		{name: "otlp over grpc", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, enabled: true},
		{name: "none", env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}},
		{name: "sdk disabled", env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}},
		{name: "unknown exporter and protocol, both reported",
			env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin,otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
			err: `unsupported exporter "zipkin"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := telemetry.NewTracing(t.Context(), func(k string) string { return c.env[k] })
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				require.ErrorContains(t, err, "OTEL_EXPORTER_OTLP_PROTOCOL")
				return
			}
			require.NoError(t, err)
			defer tr.Shutdown(context.Background())
			require.Equal(t, c.enabled, tr.Enabled())
			if !c.enabled {
				require.Nil(t, tr.Provider())
				require.Nil(t, tr.GraphQLExtension())
				require.Nil(t, tr.PgxTracer())
				require.Nil(t, tr.RedisHooks())
			}
		})
	}
}
