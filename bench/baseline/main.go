// Command baseline is the plain net/http server that bench/ab.sh measures
// the gateway against: a hand-written JSON endpoint answering the W1
// request, goods by ID, with the bytes the gateway answers on its memory
// store.
//
// For each POST to /graphql it does the honest minimum of such an
// endpoint: cap the body, decode the GraphQL-over-HTTP request with
// encoding/json, look the goods up in an in-memory map by the id
// variable, and encode {"data":{"goods":...}} with encoding/json. It does
// not parse or validate the query: a hand-written endpoint knows its one
// query.
//
// By default it does not verify the bearer token either, as the baseline
// of the in-process benchmark (BenchmarkGoodsByID) does not, so the
// gateway is held to the stricter comparison. With -verify-jwt it checks
// every request's HS256 token with JWT_SECRET through jwx (the library
// the gateway uses), without caching, and answers the goods only to the
// tenant in its tenant_id claim: what an authenticated hand-written
// endpoint costs.
//
// Usage:
//
//	baseline -addr 127.0.0.1:8081 -goods goods.json [-tenant bench] [-verify-jwt]
//
// goods.json holds one object of the gateway's Goods (id, name, price,
// description, createdAt, updatedAt), as the gateway answered it.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// goods is the Goods of the base schema, in the order of W1's selection.
type goods struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Price       float64   `json:"price"`
	Description *string   `json:"description"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// request is the part of a GraphQL-over-HTTP request the endpoint reads.
type request struct {
	Query     string `json:"query"`
	Variables struct {
		ID string `json:"id"`
	} `json:"variables"`
}

// response is a GraphQL response of W1.
type response struct {
	Data struct {
		Goods *goods `json:"goods"`
	} `json:"data"`
}

// maxBodyBytes caps request bodies, as the gateway does by default.
const maxBodyBytes = 1 << 20

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen `address`")
	file := flag.String("goods", "", "`file` with one goods object in JSON (required)")
	tenantID := flag.String("tenant", "bench", "the tenant owning the goods, checked against tokens with -verify-jwt")
	verify := flag.Bool("verify-jwt", false, "verify each request's HS256 bearer token with JWT_SECRET")
	flag.Parse()
	if *file == "" {
		flag.Usage()
		os.Exit(2)
	}
	b, err := os.ReadFile(*file)
	if err != nil {
		log.Fatalf("baseline: %v", err)
	}
	var g goods
	if err := json.Unmarshal(b, &g); err != nil || g.ID == "" {
		log.Fatalf("baseline: %s does not hold a goods object: %v", *file, err)
	}
	var secret []byte
	if *verify {
		secret = []byte(os.Getenv("JWT_SECRET"))
		if len(secret) < 32 {
			log.Fatal("baseline: -verify-jwt needs JWT_SECRET of at least 32 bytes")
		}
	}
	h := &handler{goods: map[string]map[string]goods{*tenantID: {g.ID: g}}, tenantID: *tenantID, secret: secret}
	mux := http.NewServeMux()
	mux.Handle("POST /graphql", h)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("baseline: listening on %s (verify-jwt=%v)", *addr, *verify)
	log.Fatal(srv.ListenAndServe())
}

// handler answers W1 from goods, by tenant and ID. It is read-only, so
// its methods may be called concurrently.
type handler struct {
	goods    map[string]map[string]goods
	tenantID string
	secret   []byte // nil: tokens are not verified
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tenantID := h.tenantID
	if h.secret != nil {
		var err error
		if tenantID, err = h.verify(r.Header.Get("Authorization")); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
	}
	var req request
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(&req); err != nil {
		http.Error(w, "decode request: "+err.Error(), http.StatusBadRequest)
		return
	}
	var resp response
	if g, ok := h.goods[tenantID][req.Variables.ID]; ok {
		resp.Data.Goods = &g
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// verify checks the bearer token in header and returns its tenant_id.
func (h *handler) verify(header string) (string, error) {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return "", errors.New("no bearer token")
	}
	tok, err := jwt.Parse([]byte(raw),
		jwt.WithKey(jwa.HS256(), h.secret),
		jwt.WithValidate(true),
		jwt.WithAcceptableSkew(30*time.Second),
		jwt.WithRequiredClaim("exp"),
	)
	if err != nil {
		return "", fmt.Errorf("verify token: %w", err)
	}
	var tenantID string
	if err := tok.Get("tenant_id", &tenantID); err != nil || tenantID == "" {
		return "", errors.New("token has no tenant_id")
	}
	return tenantID, nil
}
