package secrets_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/secrets"
)

func TestResolve(t *testing.T) {
	file := filepath.Join(t.TempDir(), "erp")
	require.NoError(t, os.WriteFile(file, []byte("file-secret\n"), 0o600))
	env := map[string]string{"ERP": "env-secret"}
	r := secrets.NewResolver(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	r.Register("const", secrets.ProviderFunc(func(_ context.Context, name string) (secrets.Value, error) {
		return secrets.Value("const-" + name), nil
	}))

	tests := []struct {
		ref, want, err string
		notFound       bool
	}{
		{ref: "env:ERP", want: "env-secret"},
		{ref: "file:" + file, want: "file-secret"},
		{ref: "const:x", want: "const-x"},
		{ref: "env:MISSING", notFound: true},
		{ref: "file:" + file + ".nope", notFound: true},
		{ref: "file:relative/path", err: "must be absolute"},
		{ref: "vault:kv/erp", err: `unknown scheme "vault"`},
		{ref: "plain", err: "not scheme:name"},
		{ref: "env:", err: "not scheme:name"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			v, err := r.Resolve(t.Context(), tt.ref)
			switch {
			case tt.notFound:
				require.ErrorIs(t, err, secrets.ErrNotFound)
			case tt.err != "":
				require.ErrorContains(t, err, tt.err)
				require.ErrorContains(t, r.Check(tt.ref), tt.err)
			default:
				require.NoError(t, err)
				require.Equal(t, tt.want, string(v))
			}
		})
	}
}

func TestValueIsRedacted(t *testing.T) {
	v := secrets.Value("hunter2")
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "secret", v)
	for _, s := range []string{fmt.Sprint(v), fmt.Sprintf("%v %s %#v", v, v, v), buf.String(),
		fmt.Sprintf("%d %x %X %q %o %b %c %U %08d", v, v, v, v, v, v, v, v, v),
		fmt.Sprintf("%d %v", []secrets.Value{v}, map[string]secrets.Value{"k": v}),
	} {
		require.NotContains(t, s, "hunter2")
		require.NotContains(t, s, fmt.Sprint([]byte("hunter2"))[1:8], "the secret's bytes as numbers")
		require.NotContains(t, s, "68756e746572", "the secret in hex")
	}
}
