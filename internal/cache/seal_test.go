package cache_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/cache"
)

func TestSealerOpensWhatItSealed(t *testing.T) {
	s := newSealer(t)
	for _, plaintext := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("secret "), 1000)} {
		sealed := s.Seal(plaintext, "acme/signing-key")
		require.False(t, len(plaintext) > 8 && bytes.Contains(sealed, plaintext[:8]), "plaintext visible in sealed value")
		got, err := s.Open(sealed, "acme/signing-key")
		require.NoError(t, err)
		require.Equal(t, len(plaintext), len(got))
		require.True(t, bytes.Equal(plaintext, got))
	}
}

func TestSealerRefuses(t *testing.T) {
	s := newSealer(t)
	sealed := s.Seal([]byte("s3cr3t"), "acme/db-password")
	other := newSealer(t)
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name   string
		sealer *cache.Sealer
		sealed []byte
		key    string
	}{
		{"another key name", s, sealed, "globex/db-password"},
		{"empty key name", s, sealed, ""},
		{"another master key", other, sealed, "acme/db-password"},
		{"version byte altered", s, flip(0), "acme/db-password"},
		{"nonce altered", s, flip(1), "acme/db-password"},
		{"ciphertext altered", s, flip(14), "acme/db-password"},
		{"tag altered", s, flip(len(sealed) - 1), "acme/db-password"},
		{"cut short", s, sealed[:len(sealed)-1], "acme/db-password"},
		{"only the header", s, sealed[:13], "acme/db-password"},
		{"empty", s, nil, "acme/db-password"},
		{"longer", s, append(bytes.Clone(sealed), 0), "acme/db-password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.Open(tt.sealed, tt.key)
			require.ErrorIs(t, err, cache.ErrOpen)
			require.Nil(t, got)
		})
	}
}

func TestSealerUsesFreshNonces(t *testing.T) {
	s := newSealer(t)
	seen := map[string]bool{}
	for range 1000 {
		sealed := s.Seal([]byte("same"), "same")
		nonce := string(sealed[1:13])
		require.False(t, seen[nonce], "nonce repeated")
		seen[nonce] = true
	}
}

func TestNewSealerRejectsKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		_, err := cache.NewSealer(make([]byte, n))
		require.Error(t, err, "key of %d bytes", n)
	}
}

func TestSealerIsRedacted(t *testing.T) {
	s := newSealer(t)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v", s, s, s)} {
		require.NotContains(t, out, "aead")
		require.Contains(t, out, "REDACTED")
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "sealer", s)
	require.Contains(t, buf.String(), `"sealer":"REDACTED"`)
}

func TestParseMasterKey(t *testing.T) {
	key := testKey(t)
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"standard", base64.StdEncoding.EncodeToString(key), false},
		{"standard unpadded", base64.RawStdEncoding.EncodeToString(key), false},
		{"url alphabet", base64.URLEncoding.EncodeToString(key), false},
		{"url unpadded", base64.RawURLEncoding.EncodeToString(key), false},
		{"surrounding space", " \t" + base64.StdEncoding.EncodeToString(key) + "\n", false},
		{"empty", "", true},
		{"blank", "   ", true},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16]), true},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(key, 0)), true},
		{"not base64", "this is not base64 at all, not even close!!", true},
		{"hex", fmt.Sprintf("%x", key), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cache.ParseMasterKey(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				if s := strings.TrimSpace(tt.in); s != "" {
					require.NotContains(t, err.Error(), s, "error repeats the key")
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, key, got)
		})
	}
}

func FuzzParseMasterKey(f *testing.F) {
	f.Add(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Add(base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)))
	f.Add("")
	f.Add("====")
	f.Add("AAAA\nAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		key, err := cache.ParseMasterKey(s)
		if err != nil {
			if trimmed := strings.TrimSpace(s); len(trimmed) >= 8 && strings.Contains(err.Error(), trimmed) {
				t.Fatalf("error %q repeats the input", err)
			}
			return
		}
		if len(key) != cache.MasterKeySize {
			t.Fatalf("ParseMasterKey(%q) returned %d bytes", s, len(key))
		}
		if _, err := cache.NewSealer(key); err != nil {
			t.Fatalf("NewSealer of a parsed key: %v", err)
		}
	})
}
