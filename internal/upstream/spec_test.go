package upstream_test

import (
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/upstream"
)

func TestSpecFromYAML(t *testing.T) {
	var specs map[string]upstream.Spec
	dec := yaml.NewDecoder(strings.NewReader(`
inventory:
  urls: [https://inventory-a.example/graphql, https://inventory-b.example/graphql]
  timeout: 300ms
  hedge: 50ms
  headers:
    Authorization: "Bearer ${secret:inventoryToken}"
`), yaml.DisallowUnknownField())
	require.NoError(t, dec.Decode(&specs))
	require.Equal(t, map[string]upstream.Spec{"inventory": {
		URLs:    []string{"https://inventory-a.example/graphql", "https://inventory-b.example/graphql"},
		Timeout: 300 * time.Millisecond,
		Hedge:   50 * time.Millisecond,
		Headers: map[string]string{"Authorization": "Bearer ${secret:inventoryToken}"},
	}}, specs)
	require.NoError(t, specs["inventory"].Validate(nil, []string{"inventoryToken"}))
}

func TestSpecValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		spec upstream.Spec
		want []string
	}{
		"valid": {spec: upstream.Spec{
			URLs:    []string{"https://a.example/graphql", "http://127.0.0.1:4001/graphql"},
			Timeout: 30 * time.Second,
			Headers: map[string]string{"Authorization": "Bearer ${secret:tok}", "X-Key": "${secret:key}-${secret:tok}", "X-Plain": "a $b {c} $"},
		}},
		"no URL": {spec: upstream.Spec{}, want: []string{"urls: at least one URL is needed"}},
		"every problem at once": {
			spec: upstream.Spec{
				URLs:    []string{"https://a.example/", "http://b.example/", "https://a.example/", "https://169.254.169.254/", "https://u:p@c.example/"},
				Timeout: time.Minute,
				Headers: map[string]string{
					"Authorization":  "Bearer ${secret:missing}",
					"X-Env":          "${env:HOME}",
					"X-Open":         "${secret:tok",
					"X-Bad-Name":     "${secret:1tok}",
					"Bad Header":     "x",
					"Host":           "evil.example",
					"content-length": "1",
					"X-Newline":      "a\nb",
				},
			},
			want: []string{
				`urls[1]: URL must be https (http only on a loopback host)`,
				`urls[2]: the same URL as urls[0]`,
				`urls[3]: address 169.254.169.254 is a cloud metadata service`,
				`urls[4]: must not hold credentials: put them in headers, from a secret`,
				`timeout: 1m0s is longer than the most allowed, 30s`,
				`headers.Bad Header: "Bad Header" is not a valid header name`,
				`headers.Host: Host is set by the gateway and may not be given`,
				`headers.X-Bad-Name: secret name "1tok" must be a letter then up to 63 letters, digits, '_' or '-'`,
				`headers.X-Env: ${env:HOME} is not a secret reference; only ${secret:NAME} is expanded`,
				`headers.X-Newline: has a control character (a line break?)`,
				`headers.X-Open: "${secret:tok" is not closed by }`,
				`headers.content-length: Content-Length is set by the gateway and may not be given`,
				`headers.Authorization: secret "missing" is not under the tenant's secrets`,
			},
		},
		"negative timeout": {spec: upstream.Spec{URLs: []string{"https://a.example/"}, Timeout: -time.Second},
			want: []string{"timeout: -1s is negative"}},
		"hedged":                            {spec: upstream.Spec{URLs: []string{"https://a.example/", "https://b.example/"}, Timeout: time.Second, Hedge: 999 * time.Millisecond}},
		"hedged within the default timeout": {spec: upstream.Spec{URLs: []string{"https://a.example/", "https://b.example/"}, Hedge: 50 * time.Millisecond}},
		"negative hedge": {spec: upstream.Spec{URLs: []string{"https://a.example/", "https://b.example/"}, Hedge: -time.Millisecond},
			want: []string{"hedge: -1ms is negative"}},
		"hedge as long as the timeout": {spec: upstream.Spec{URLs: []string{"https://a.example/", "https://b.example/"}, Timeout: 300 * time.Millisecond, Hedge: 300 * time.Millisecond},
			want: []string{"hedge: 300ms is not shorter than the timeout, 300ms"}},
		"hedge longer than the default timeout": {spec: upstream.Spec{URLs: []string{"https://a.example/", "https://b.example/"}, Hedge: 2 * time.Second},
			want: []string{"hedge: 2s is not shorter than the default timeout, 1s"}},
		"hedge with one URL": {spec: upstream.Spec{URLs: []string{"https://a.example/"}, Timeout: 300 * time.Millisecond, Hedge: time.Second},
			want: []string{"hedge: needs two or more URLs: a hedged request goes to the next URL", "hedge: 1s is not shorter than the timeout, 300ms"}},
		"hedge and an invalid timeout": {spec: upstream.Spec{URLs: []string{"https://a.example/", "https://b.example/"}, Timeout: -time.Second, Hedge: time.Second},
			want: []string{"timeout: -1s is negative"}},
		"too many URLs": {spec: upstream.Spec{URLs: strings.Split(strings.Repeat("https://a.example/,", 9), ",")[:9]},
			want: []string{"urls: 9 URLs; at most 8", "urls[1]: the same URL as urls[0]", "urls[2]: the same URL as urls[0]",
				"urls[3]: the same URL as urls[0]", "urls[4]: the same URL as urls[0]", "urls[5]: the same URL as urls[0]",
				"urls[6]: the same URL as urls[0]", "urls[7]: the same URL as urls[0]", "urls[8]: the same URL as urls[0]"}},
		"same header twice": {spec: upstream.Spec{URLs: []string{"https://a.example/"}, Headers: map[string]string{"x-key": "1", "X-Key": "2"}},
			want: []string{"headers.x-key: the same header as X-Key"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.spec.Validate(&upstream.Guard{}, []string{"tok", "key"})
			if len(tc.want) == 0 {
				require.NoError(t, err)
				return
			}
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				got = append(got, e.Error())
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestNewRefusesInvalidSpecs(t *testing.T) {
	_, err := upstream.New("inventory", upstream.Spec{URLs: []string{"http://inventory.example/"}}, upstream.Options{})
	require.EqualError(t, err, `upstream "inventory": urls[0]: URL must be https (http only on a loopback host)`)
	_, err = upstream.New("inventory", upstream.Spec{
		URLs:    []string{"https://inventory.example/"},
		Headers: map[string]string{"Authorization": "Bearer ${secret:tok}"},
	}, upstream.Options{})
	require.EqualError(t, err, `upstream "inventory": headers.Authorization: refers to secret "tok", and Options.Secret is nil`)
}

func TestExpandHeaders(t *testing.T) {
	secrets := map[string]string{"tok": "s3cret", "user": "ann"}
	lookup := func(name string) (string, error) {
		v, ok := secrets[name]
		if !ok {
			return "", errors.New("no such secret")
		}
		return v, nil
	}
	h, err := upstream.ExpandHeaders(map[string]string{
		"authorization": "Bearer ${secret:tok}",
		"X-User":        "${secret:user}/${secret:tok}!",
		"X-Plain":       "$ {secret:tok} $$",
	}, lookup)
	require.NoError(t, err)
	require.Equal(t, http.Header{
		"Authorization": {"Bearer s3cret"},
		"X-User":        {"ann/s3cret!"},
		"X-Plain":       {"$ {secret:tok} $$"},
	}, h)

	_, err = upstream.ExpandHeaders(map[string]string{"X-A": "${secret:nope}"}, lookup)
	require.EqualError(t, err, `headers.X-A: secret "nope": no such secret`)
	secrets["tok"] = "a\r\nX-Injected: yes"
	_, err = upstream.ExpandHeaders(map[string]string{"X-A": "${secret:tok}"}, lookup)
	require.EqualError(t, err, `headers.X-A: secret "tok" holds a control character (a line break?), which a header can't carry`)
	require.NotContains(t, err.Error(), "Injected")
	_, err = upstream.ExpandHeaders(map[string]string{"X-A": "${secret:tok}"}, nil)
	require.EqualError(t, err, `headers.X-A: secret "tok": no secrets are available`)
	_, err = upstream.ExpandHeaders(map[string]string{"X-A": "${SECRET:tok}"}, lookup)
	require.EqualError(t, err, `headers.X-A: ${SECRET:tok} is not a secret reference; only ${secret:NAME} is expanded`)
}

// FuzzExpandHeaders checks that any template either fails or gives a
// header value that HTTP can carry, and that Validate agrees with
// ExpandHeaders.
func FuzzExpandHeaders(f *testing.F) {
	for _, s := range []string{"Bearer ${secret:tok}", "${", "${}", "${secret:}", "$${secret:tok}}", "a\nb", "${secret:tok}${secret:tok}", "${secret:a-b_c}"} {
		f.Add("Authorization", s, "value")
	}
	f.Fuzz(func(t *testing.T, name, tmpl, secret string) {
		h, err := upstream.ExpandHeaders(map[string]string{name: tmpl}, func(string) (string, error) { return secret, nil })
		verr := upstream.Spec{URLs: []string{"https://a.example/"}, Headers: map[string]string{name: tmpl}}.Validate(nil, nil)
		if err != nil {
			return
		}
		for _, vs := range h {
			for _, v := range vs {
				require.NotContains(t, v, "\n")
				require.NotContains(t, v, "\r")
				require.NotContains(t, v, "\x00")
			}
		}
		if verr != nil {
			// Only secrets unknown to Validate (nil names) may fail it.
			for _, e := range verr.(interface{ Unwrap() []error }).Unwrap() {
				require.Contains(t, e.Error(), "is not under the tenant's secrets")
			}
		}
	})
}

// FuzzCheckURL checks that CheckURL accepts only http and https URLs
// without fragments, and that what it accepts Go's HTTP client can use
// with the scheme and the host it checked.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://a.example/graphql", "http://127.0.0.1:4001/", "http://[::1]/", "https://u:p@a/", "https://169.254.169.254/", "http://localhost/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := (&upstream.Guard{}).CheckURL(raw)
		if err != nil {
			return
		}
		require.NotContains(t, raw, "#")
		u, err := url.Parse(raw)
		require.NoError(t, err)
		require.Nil(t, u.User)
		if u.Scheme == "http" {
			a, err := netip.ParseAddr(u.Hostname())
			require.True(t, u.Hostname() == "localhost" || (err == nil && a.Unmap().IsLoopback()), raw)
		} else {
			require.Equal(t, "https", u.Scheme)
		}
		req, err := http.NewRequest(http.MethodPost, raw, nil)
		require.NoError(t, err)
		require.Equal(t, u.Hostname(), req.URL.Hostname())
	})
}
