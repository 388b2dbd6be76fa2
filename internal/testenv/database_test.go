package testenv

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWithDatabase(t *testing.T) {
	for base, want := range map[string]string{
		"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable": "postgres://postgres@127.0.0.1:5432/db?sslmode=disable",
		"postgresql://u:p%40ss@h/":                                    "postgresql://u:p%40ss@h/db",
		"postgres://h":                                                "postgres://h/db",
		"host=h user=u dbname=postgres sslmode=disable":               "host=h user=u dbname=postgres sslmode=disable dbname=db",
		"host=h ": "host=h dbname=db",
	} {
		require.Equal(t, want, withDatabase(base, "db"), base)
	}
}
