package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// envelopeCases are responses to an _entities query, good and bad, that
// decodeEntities must decode as encoding/json does; they seed
// FuzzDecodeEntities.
var envelopeCases = []string{
	`{"data":{"_entities":[{"stock":435,"warehouse":{"code":"AMS1","city":null}},null]}}`,
	` { "data" : { "_entities" : [ {"a" : 1 } , {"b":[1, 2]} ] } } ` + "\n",
	`{"data":{"_entities":[]}}`,
	`{"data":{"_entities":null}}`,
	`{"data":{}}`,
	`{"data":null}`,
	`{}`,
	`null`,
	` null `,
	// Repeated members.
	`{"data":{"_entities":[{"a":1}]},"data":{"other":1}}`,
	`{"data":{"_entities":[{"a":1}]},"data":{"_entities":[{"b":2}]}}`,
	`{"data":{"_entities":[{"a":1}]},"data":null}`,
	`{"data":null,"data":{"_entities":[]}}`,
	`{"data":{"_entities":[{"a":1}],"_entities":[null]}}`,
	`{"data":{"_entities":[{"a":1}],"_entities":null}}`,
	`{"data":{"_entities":[{"a":1}]},"data":"x"}`,
	// Names matched case-insensitively, or not at all.
	`{"DATA":{"_ENTITIES":[{"a":1}]}}`,
	`{"dAtA":{"_Entities":[{"a":1}]},"Errors":[{"message":"m"}]}`,
	`{"data":{"_entitie` + "\u017f" + `":[{"a":1}]},"error` + "\u017f" + `":[{"message":"long s"}]}`,
	`{"data":{"_entitieS":[{"a":1}],"_entities ":[{"b":1}],"entities":[{"c":1}]}}`,
	`{"\u0064ata":{"\u005fentities":[{"a":1}]}}`,
	`{"d\u0061ta":{"_entities":[{"a":1}]},"\u212a":1,"` + "\xff" + `":2,"dat` + "\xff" + `":{}}`,
	`{"data ":{"_entities":[]},"Data":{"_entities":[{"x":1}]}}`,
	// Unknown members of every kind.
	`{"extensions":{"a":[1,{"b":"}]"}],"c":"\"]}"},"x":"\\","n":-1.5e3,"t":true,"f":false,"z":null,` +
		`"data":{"z":[[],{}],"q":"]","_entities":[{"a":"{"}],"w":{"_entities":1}},"e":[]}`,
	// Errors.
	`{"errors":[{"message":"m","path":["_entities",0,"stock"]}],"data":{"_entities":[null]}}`,
	`{"errors":[{"message":"down","path":[1.5e2,"x"],"extensions":{"code":"X"}}],"data":null}`,
	`{"errors":[{"message":"a","path":[1]}],"errors":[{"path":[2]}]}`,
	`{"errors":[{"message":"a"},{"message":"b"}],"errors":[{"path":[1]}],"errors":[{},{}]}`,
	`{"errors":[{"message":"a"}],"errors":null}`,
	`{"errors":{}}`,
	`{"errors":[1]}`,
	`{"errors":"x"}`,
	`{"errors":[{"MESSAGE":"up","Path":["_entities",0]}],"data":{"_entities":[null]}}`,
	// Not a response.
	`[]`,
	`"x"`,
	`1`,
	`true`,
	``,
	` `,
	`{"data":[]}`,
	`{"data":"x"}`,
	`{"data":1}`,
	`{"data":true}`,
	`{"data":{"_entities":{}}}`,
	`{"data":{"_entities":"x"}}`,
	`{"data":{"_entities":1}}`,
	`{"data":{"_entities":[1]}}`,
	`{"data":{"_entities":[{"a":1}]}} x`,
	`{"data":{"_entities":[]}}{}`,
	`{"data":{"_entities":[]}`,
	`{"data":{"_entities":[]},}`,
	`{"data":{"_entities":[{"a":01}]}}`,
	`{"data":{"_entities":[{"a":"` + "\x01" + `"}]}}`,
}

// grammarTokens are JSON values, and texts that are almost JSON values,
// at the edges of JSON's grammar that decodeEntities checks.
var grammarTokens = []string{
	// Numbers.
	`0`, `-0`, `01`, `-01`, `00`, `1.`, `.5`, `-.5`, `1.e5`, `1e`, `1E`, `-`, `--1`, `+1`, `1e+`, `1e-`, `1e+-1`,
	`1.5e+10`, `-0.0E-0`, `1E5`, `123456789012345678901234567890`, `0x1`, `1_0`, `Infinity`, `NaN`, `1.5.2`, `1e5e5`,
	// Literals.
	`true`, `false`, `null`, `tru`, `nul`, `fals`, `nulll`, `truex`, `True`, `NULL`, `t`, `n`,
	// Strings.
	`""`, `"\x"`, `"\u12G4"`, `"\u12"`, `"\u"`, `"\U0041"`, `"\u0041"`, `"\uD83D\uDE00"`, `"\ud800"`, `"\/"`,
	`"\b\f\n\r\t\"\\"`, `"\a"`, `"\0"`, `"\'"`, `"\` + "\x01" + `"`, `"\` + "\xc3\xa9" + `"`, `"\`, `"a`, `"`,
	`"` + "\x00" + `"`, `"` + "\x01" + `"`, `"` + "\t" + `"`, `"` + "\n" + `"`, `"` + "\x1f" + `"`, `"` + "\x7f" + `"`,
	`"` + "\xff" + `"`, `"` + "\xc3" + `"`, `"` + "\xed\xa0\x80" + `"`, `"` + "\xf4\x90\x80\x80" + `"`, `"caf` + "\xc3\xa9" + `"`,
	// Arrays and objects.
	`[]`, `[1,]`, `[,1]`, `[1 2]`, `[1:2]`, `[`, `]`, `[[]`, `[]]`, `{}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`,
	`{1:2}`, `{"a" 1}`, `{"a":1 "b":2}`, `{"a":1}}`, `{"a":1`, `{"a",1}`, `{'a':1}`, `{a:1}`,
	// White space, and what is not.
	` 1 `, "\t\n\r1", "\f1", "\v1", "\u00a01",
}

// grammarCases are responses that hold every grammar token where
// decodeEntities decodes it and where it skips it: in an entity, as a
// name, in an unknown member, in the errors, and as the response.
func grammarCases() []string {
	var out []string
	for _, tok := range grammarTokens {
		out = append(out,
			`{"data":{"_entities":[{"a":`+tok+`}]}}`,
			`{"data":{"_entities":[{"a":[`+tok+`],"b":{"c":`+tok+`}}]}}`,
			`{"data":{"_entities":[{`+tok+`:1}]}}`,
			`{"x":`+tok+`,"data":{"_entities":[]}}`,
			`{"x":[{"y":`+tok+`}],"data":{"_entities":[]}}`,
			`{`+tok+`:1,"data":null}`,
			`{"data":{"x":`+tok+`,"_entities":null}}`,
			`{"errors":[{"message":"m","extensions":`+tok+`}]}`,
			`{"errors":[{"message":`+tok+`}]}`,
			tok,
		)
	}
	// Nothing but white space may follow the response.
	for _, tail := range []string{" \t\n\r", "x", "}", "]", ",", "null", "{}", "\x00", "\f", "\u00a0", "\xff", "/**/"} {
		out = append(out, `{"data":{"_entities":[]}}`+tail, `null`+tail, `{}`+tail)
	}
	return out
}

// nested returns a response whose nesting is depth objects and arrays,
// the deepest where at says: in an entity, in an unknown member, or in
// the errors.
func nested(at string, depth int) string {
	switch at {
	case "entity": // {"data":{"_entities":[{"a": is 4 deep.
		return `{"data":{"_entities":[{"a":` + strings.Repeat("[", depth-4) + strings.Repeat("]", depth-4) + `}]}}`
	case "unknown": // {"x": is 1 deep.
		return `{"x":` + strings.Repeat(`{"y":`, depth-1) + "1" + strings.Repeat("}", depth-1) + `}`
	case "errors": // {"errors":[{"path": is 3 deep.
		return `{"errors":[{"path":` + strings.Repeat("[", depth-3) + strings.Repeat("]", depth-3) + `}]}`
	}
	panic(at)
}

// decodeStd decodes body as attempt did before decodeEntities: with a
// Decoder and UseNumber, but refusing anything after the first value
// other than white space, as decodeEntities does.
func decodeStd(body []byte) (*response[entitiesData], error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out response[entitiesData]
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	if !json.Valid(body) {
		return nil, &json.SyntaxError{}
	}
	return &out, nil
}

// mapList is the _entities of a response as encoding/json alone decodes
// them: a []map[string]any, with numbers as json.Number, made anew for
// every member that holds them, as entityList is.
type mapList []map[string]any

func (l *mapList) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var fresh []map[string]any
	if err := dec.Decode(&fresh); err != nil {
		return err
	}
	*l = fresh
	return nil
}

// decodeMaps decodes body as decodeStd does, but with encoding/json
// alone: the entities into a mapList.
func decodeMaps(body []byte) (entities []map[string]any, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out response[struct {
		Entities mapList `json:"_entities"`
	}]
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	if !json.Valid(body) {
		return nil, &json.SyntaxError{}
	}
	if out.Data == nil {
		return nil, nil
	}
	return out.Data.Entities, nil
}

// compareEnvelope fails t unless decodeEntities and decodeStd give the
// same response for body (the entities' texts too), or both fail, and
// unless the entities are what encoding/json alone decodes. An error
// must not quote the body.
func compareEnvelope(t *testing.T, body []byte) {
	t.Helper()
	want, wantErr := decodeStd(body)
	got, gotErr := decodeEntities(body)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("%q: encoding/json: %v; decodeEntities: %v", body, wantErr, gotErr)
	}
	maps, mapsErr := decodeMaps(body)
	if (mapsErr == nil) != (gotErr == nil) {
		t.Fatalf("%q: encoding/json into maps: %v; decodeEntities: %v", body, mapsErr, gotErr)
	}
	if gotErr != nil {
		if q := quoted(gotErr.Error(), string(body)); q != "" {
			t.Fatalf("%q: the error %q quotes the body: %q", body, gotErr, q)
		}
		return
	}
	if got.Data != nil && !reflect.DeepEqual(asMaps(got.Data.Entities), maps) {
		t.Fatalf("%q:\n got %#v\nwant %#v", body, asMaps(got.Data.Entities), maps)
	}
	// The entities are compared with their texts.
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n got %#v\nwant %#v", body, got, want)
	}
	if got.Data != nil {
		for _, o := range got.Data.Entities {
			if err := checkTexts(o); err != nil {
				t.Fatalf("%q: %v", body, err)
			}
		}
	}
}

// quoted returns the first run of more than 12 bytes of msg that body
// holds too, or "".
func quoted(msg, body string) string {
	const most = 12
	for i := 0; i+most < len(msg); i++ {
		if strings.Contains(body, msg[i:i+most+1]) {
			return msg[i : i+most+1]
		}
	}
	return ""
}

func TestDecodeEntitiesAsEncodingJSON(t *testing.T) {
	for _, body := range envelopeCases {
		compareEnvelope(t, []byte(body))
	}
	for _, body := range grammarCases() {
		compareEnvelope(t, []byte(body))
	}
	// Entities of every kind, in a response.
	for _, text := range entityCases {
		compareEnvelope(t, []byte(`{"errors":[],"data":{"x":0,"_entities":`+text+`}}`))
	}
}

// The decoder sees what matters of a response.
func TestDecodeEntities(t *testing.T) {
	body := `{"data":{"_Entities":[{"n":1},null]},"errors":[{"message":"m","path":["_entities",1]}],"data":{"other":1}}`
	out, err := decodeEntities([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if out.Data == nil || len(out.Data.Entities) != 2 || out.Data.Entities[1] != nil ||
		out.Data.Entities[0].FieldValue("n") != json.Number("1") {
		t.Errorf("data %#v", out.Data)
	}
	if len(out.Errors) != 1 || out.Errors[0].Message != "m" || !reflect.DeepEqual(out.Errors[0].Path, []any{"_entities", json.Number("1")}) {
		t.Errorf("errors %#v", out.Errors)
	}
	for _, bad := range []string{`{"data":"x"}`, `{"data":{"_entities":[]}} x`, `{"data":{"_entities":[1]}}`, `{"errors":[1]}`} {
		if _, err := decodeEntities([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// attempt decodes the response to an _entities query with
// decodeEntities, which refuses text after the response, and others
// with a json.Decoder, which ignores it.
func TestDecodeChoosesDecoder(t *testing.T) {
	if _, err := decode[entitiesData]([]byte(`{"data":{"_entities":[]}} x`)); err == nil {
		t.Error("entities: text after the response is not refused")
	}
	out, err := decode[serviceData]([]byte(`{"data":{"_service":{"sdl":"type Q"}}} x`))
	if err != nil || out.Data.Service == nil || out.Data.Service.SDL == nil || *out.Data.Service.SDL != "type Q" {
		t.Errorf("service: %v", err)
	}
}

func TestFoldedIs(t *testing.T) {
	for name, want := range map[string]bool{
		"data": true, "DATA": true, "dAtA": true, "dat": false, "datas": false, "": false,
		"errors": true, "ERRORS": true, "error\u017f": true, "errorS": true, "error\u0455": false, "errors\xff": false,
	} {
		folded := "DATA"
		if strings.HasPrefix(strings.ToLower(name), "error") {
			folded = "ERRORS"
		}
		if got := foldedIs(name, folded); got != want {
			t.Errorf("foldedIs(%q, %q) = %v, want %v", name, folded, got, want)
		}
	}
}

// Nesting is limited as encoding/json limits it, wherever it is.
func TestDecodeEntitiesNesting(t *testing.T) {
	for _, at := range []string{"entity", "unknown", "errors"} {
		for _, depth := range []int{maxDepth - 1, maxDepth, maxDepth + 1, maxDepth + 2} {
			body := []byte(nested(at, depth))
			if json.Valid(body) != (depth <= maxDepth) {
				t.Fatalf("%s, %d deep: json.Valid is %v", at, depth, json.Valid(body))
			}
			_, err := decodeEntities(body)
			if (err == nil) != (depth <= maxDepth) {
				t.Errorf("%s, %d deep: %v", at, depth, err)
			}
			compareEnvelope(t, body)
		}
	}
}

// Errors say where, not what: a secret next to the fault is not quoted.
func TestDecodeEntitiesErrorQuotesLittle(t *testing.T) {
	for _, tok := range []string{`01`, `1.`, `tru`, `"\x"`, `"\u12G4"`, `"` + "\x01" + `"`, `[1,]`, `{"a"}`} {
		for _, body := range []string{
			`{"data":{"_entities":[{"secret":"hunter2hunter2","a":` + tok + `}]}}`,
			`{"x":{"secret":"hunter2hunter2","a":` + tok + `},"data":null}`,
			`{"errors":[{"message":"hunter2hunter2","a":` + tok + `}]}`,
			`{"data":{"_entities":[]}}hunter2hunter2`,
		} {
			_, err := decodeEntities([]byte(body))
			if err == nil {
				t.Errorf("%s: no error", body)
			} else if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%s: the error quotes the body: %v", body, err)
			}
		}
	}
}

// A skipped value is checked without an allocation.
func TestSkipAllocates(t *testing.T) {
	text := `{"a":[1,-2.5e+3,"x\u00e9\n` + "\xc3\xa9\xff" + `",true,false,null,{},[]],"b":{"c":{"d":[[[{"e":"f"}]]]}}}`
	allocs := testing.AllocsPerRun(100, func() {
		d := jsonDecoder{s: text}
		if err := d.skip(); err != nil || d.i != len(text) || d.depth != 0 {
			t.Fatalf("skip: %v at %d, depth %d", err, d.i, d.depth)
		}
	})
	if allocs != 0 {
		t.Errorf("skip allocates %v times", allocs)
	}
}

// FuzzDecodeEntities checks that decodeEntities decodes any body as
// encoding/json does, or fails where it fails.
func FuzzDecodeEntities(f *testing.F) {
	for _, body := range envelopeCases {
		f.Add(body)
	}
	for _, body := range grammarCases() {
		f.Add(body)
	}
	for _, at := range []string{"entity", "unknown", "errors"} {
		f.Add(nested(at, maxDepth))
		f.Add(nested(at, maxDepth+1))
	}
	f.Fuzz(func(t *testing.T, body string) {
		compareEnvelope(t, []byte(body))
	})
}

// Bodies of known and unknown size are read whole, each into its own
// memory, and one over the limit is cut off after the limit's next byte.
func TestReadBody(t *testing.T) {
	c, err := New("inventory", Spec{URLs: []string{"http://127.0.0.1:1"}}, Options{MaxResponseBytes: 4000})
	if err != nil {
		t.Fatal(err)
	}
	// onlyReader hides bytes.Reader's WriterTo, as a response body does.
	type onlyReader struct{ io.Reader }
	var kept [][]byte
	for _, n := range []int{0, 1, 511, 512, 513, 3000, 4000, 1000} {
		text := bytes.Repeat([]byte{byte('a' + n%26)}, n)
		for _, size := range []int64{-1, int64(n)} {
			b, err := c.readBody(onlyReader{bytes.NewReader(text)}, size)
			if err != nil || !bytes.Equal(b, text) {
				t.Fatalf("%d bytes (size %d): read %d bytes, %v", n, size, len(b), err)
			}
			kept = append(kept, b)
		}
	}
	for i, b := range kept {
		if len(b) > 0 && bytes.Count(b, b[:1]) != len(b) {
			t.Errorf("body %d changed after it was read", i)
		}
	}
	for _, size := range []int64{-1, 4000} {
		r := &countingReader{r: onlyReader{bytes.NewReader(make([]byte, 5000))}}
		b, err := c.readBody(r, size)
		if !errors.Is(err, errTooLarge) || b != nil || r.n != 4001 {
			t.Errorf("a body over the limit (size %d): read %d bytes, returned %d, %v", size, r.n, len(b), err)
		}
	}
	errCut := errors.New("cut off")
	b, err := c.readBody(io.MultiReader(strings.NewReader("{"), iotest.ErrReader(errCut)), -1)
	if !errors.Is(err, errCut) || string(b) != "{" {
		t.Errorf("a body cut off: read %q, %v", b, err)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += n
	return n, err
}

// A body's Content-Length is a claim: the slice made for it before its
// bytes arrive is small, whatever the claim, and grows as they do.
func TestReadBodyTrustsContentLengthLittle(t *testing.T) {
	c, err := New("inventory", Spec{URLs: []string{"http://127.0.0.1:1"}}, Options{MaxResponseBytes: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b, err := c.readBody(strings.NewReader("{}"), 4<<20-1)
	runtime.ReadMemStats(&after)
	if err != nil || string(b) != "{}" {
		t.Fatalf("read %q, %v", b, err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 2*maxPreallocated {
		t.Errorf("a 2-byte body claiming 4 MiB took %d bytes", got)
	}
	// A body that comes as claimed costs its size, and little more: once
	// the first slice is full, the slice grows to the size at once.
	big := bytes.Repeat([]byte("x"), 1<<20)
	runtime.ReadMemStats(&before)
	b, err = c.readBody(bytes.NewReader(big), int64(len(big)))
	runtime.ReadMemStats(&after)
	if err != nil || !bytes.Equal(b, big) {
		t.Errorf("a body longer than the first slice: read %d bytes, %v", len(b), err)
	}
	// About its size; twice that under the race detector, whose
	// allocator counts more. (Growing by a quarter at a time took five
	// times the size.)
	if got := after.TotalAlloc - before.TotalAlloc; got > 3*uint64(len(big)) {
		t.Errorf("a 1 MiB body took %d bytes", got)
	}
}

// BenchmarkDecodeEntities decodes a response of 100 entities as attempt
// does (decoder=envelope) and as it did with a json.Decoder
// (decoder=json), from memory:
//
//	go test -run '^$' -bench DecodeEntities -count 8 ./internal/upstream | tee decode.txt
//	benchstat -col /decoder decode.txt
func BenchmarkDecodeEntities(b *testing.B) {
	var body bytes.Buffer
	body.WriteString(`{"data":{"_entities":[`)
	for i := range 100 {
		if i > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, `{"stock":%d,"warehouse":{"code":"W%03d","city":"Amsterdam"}}`, i*7, i%10)
	}
	body.WriteString("]}}\n")
	for _, dec := range []struct {
		name   string
		decode func([]byte) (*response[entitiesData], error)
	}{{"json", decodeJSON[entitiesData]}, {"envelope", decodeEntities}} {
		b.Run("decoder="+dec.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(body.Len()))
			for b.Loop() {
				out, err := dec.decode(body.Bytes())
				if err != nil || len(out.Data.Entities) != 100 {
					b.Fatal(err)
				}
			}
		})
	}
}
