// Package deps pins the project's dependencies while the packages that use
// them are written. It is removed once every dependency has a real user.
package deps

import (
	_ "github.com/99designs/gqlgen/graphql/handler"
	_ "github.com/go-chi/chi/v5"
	_ "github.com/go-chi/jwtauth/v5"
	_ "github.com/goccy/go-yaml"
	_ "github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/lestrrat-go/jwx/v3/jwt"
	_ "github.com/lmittmann/tint"
	_ "github.com/pressly/goose/v3"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/stretchr/testify/require"
	_ "github.com/vektah/gqlparser/v2"
	_ "golang.org/x/term"
)
