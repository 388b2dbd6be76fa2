package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// referenceParams decodes body as the transport did before decodeParams,
// with encoding/json (UseNumber, nothing after the object), but matching
// member names exactly.
func referenceParams(body []byte) (graphql.RawParams, bool) {
	var p graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return p, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return p, false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return p, false
	}
	for _, s := range []struct {
		name string
		dst  *string
	}{{"query", &p.Query}, {"operationName", &p.OperationName}} {
		switch x := obj[s.name].(type) {
		case nil:
		case string:
			*s.dst = x
		default:
			return p, false
		}
	}
	for _, m := range []struct {
		name string
		dst  *map[string]any
	}{{"variables", &p.Variables}, {"extensions", &p.Extensions}} {
		switch x := obj[m.name].(type) {
		case nil:
		case map[string]any:
			*m.dst = x
		default:
			return p, false
		}
	}
	return p, true
}

var paramsCorpus = []string{
	`{"query":"{ goods { id } }"}`,
	` {"query":"query Q($id: ID!) { goods(id: $id) { id } }","operationName":"Q","variables":{"id":"1"}} `,
	`{"query":"{a}","variables":{"i":5,"f":-1.5e+3,"b":true,"n":null,"l":[1,"x",[],{}],"o":{"p":{"q":[false]}}}}`,
	`{"query":"{a}","variables":null,"extensions":null,"operationName":null}`,
	`{"query":null}`,
	`{}`,
	`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}`,
	`{"query":"{a}","unknown":{"deep":[1,2,{"x":"y"}]},"other":12}`,
	`{"query":"tab\there \"quoted\" \u00e9 \ud83d\ude00 \/ \\ end"}`,
	`{"query":"lone \ud800 surrogate"}`,
	"{\"query\":\"invalid \xff utf-8\"}",
	`{"qu\u0065ry":"{escaped key}"}`,
	`{"Query":"{case}"}`,
	`{"query":"{a}","query":"{b}"}`,
	`{"query":"{a}","variables":{"x":1,"x":2}}`,
	`{"variables":{"big":12345678901234567890123,"neg0":-0,"exp":1E5,"frac":0.5}}`,
	// Not requests.
	``, ` `, `null`, `[]`, `"query"`, `{"query":"{a}"} {}`, `{"query":"{a}"},`,
	`{"query":5}`, `{"query":["{a}"]}`, `{"operationName":true}`,
	`{"variables":[]}`, `{"variables":"{}"}`, `{"extensions":1}`,
	`{"query":"{a}"`, `{"query" "{a}"}`, `{"query":"{a}",}`, `{,}`, `{"query":'{a}'}`,
	"{\"query\":\"control \x01 char\"}", `{"query":"bad \x escape"}`, `{"query":"\u12"}`,
	`{"variables":{"n":01}}`, `{"variables":{"n":1.}}`, `{"variables":{"n":.5}}`, `{"variables":{"n":+1}}`,
	`{"variables":{"n":1e}}`, `{"variables":{"n":-}}`, `{"variables":{"n":tru}}`, `{"variables":{"n":nul}}`,
	`{"variables":{"a":[1 2]}}`, `{"variables":{"a":{"b" 1}}}`, `{"variables":{1:2}}`,
	"\xef\xbb\xbf{}",
}

func TestDecodeParams(t *testing.T) {
	for _, body := range paramsCorpus {
		checkDecodeParams(t, []byte(body))
	}
}

func TestDecodeParamsNesting(t *testing.T) {
	deep := `{"variables":{"a":` + strings.Repeat("[", maxNesting) + strings.Repeat("]", maxNesting) + `}}`
	var p graphql.RawParams
	if err := decodeParams([]byte(deep), &p); err == nil {
		t.Errorf("decodeParams accepted arrays nested %d deep", maxNesting)
	}
	ok := `{"variables":{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}`
	if err := decodeParams([]byte(ok), &p); err != nil {
		t.Errorf("decodeParams refused arrays nested 100 deep: %v", err)
	}
}

func FuzzDecodeParams(f *testing.F) {
	for _, body := range paramsCorpus {
		f.Add([]byte(body))
	}
	f.Fuzz(checkDecodeParams)
}

func checkDecodeParams(t *testing.T, body []byte) {
	t.Helper()
	want, wantOK := referenceParams(body)
	var got graphql.RawParams
	err := decodeParams(body, &got)
	if (err == nil) != wantOK {
		t.Fatalf("decodeParams(%q): error %v, encoding/json accepts it: %v", body, err, wantOK)
	}
	if wantOK && !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeParams(%q) = %#v, encoding/json decodes %#v", body, got, want)
	}
}
