package gateway

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tenantgraph/tenantgraph/internal/jsonlex"
)

// errNotRequest is decodeParams's error for a body that is not one JSON
// object of a GraphQL request.
var errNotRequest = errors.New("request body is not a GraphQL request")

// maxNesting bounds how deeply arrays and objects may nest in a request
// body, as encoding/json bounds it, so that a hostile body cannot grow
// the stack without limit.
const maxNesting = 10000

// decodeParams decodes the JSON body of a GraphQL-over-HTTP POST request
// into p: one object whose "query" and "operationName" are strings or
// null, whose "variables" and "extensions" are objects or null, and whose
// other members are ignored. Numbers decode as json.Number, as with
// json.Decoder.UseNumber, so that coercion sees the literal the client
// sent. Member names match exactly, as GraphQL over HTTP names them (not
// case-insensitively, as encoding/json matches struct fields).
//
// It does what json.Decoder did here, but on a body already in memory and
// without reflection: decoding with encoding/json was an eighth of the CPU
// time of a point read through the gateway (BenchmarkTelemetry). Strings
// with escapes or bytes that are not valid UTF-8 are rare in requests and
// go to encoding/json, so that every string means what it did before.
func decodeParams(data []byte, p *graphql.RawParams) error {
	d := decoder{data: data}
	d.space()
	if !d.consume('{') {
		return errNotRequest
	}
	d.space()
	if d.consume('}') {
		return d.end()
	}
	for {
		key, escaped, _, ok := d.rawString()
		if !ok {
			return errNotRequest
		}
		if escaped {
			var k string
			if json.Unmarshal(key, &k) != nil {
				return errNotRequest
			}
			key = strconv.AppendQuote(nil, k)
		}
		d.space()
		if !d.consume(':') {
			return errNotRequest
		}
		d.space()
		var err error
		switch string(key) {
		case `"query"`:
			p.Query, err = d.stringOrNull()
		case `"operationName"`:
			p.OperationName, err = d.stringOrNull()
		case `"variables"`:
			p.Variables, err = d.objectOrNull()
		case `"extensions"`:
			p.Extensions, err = d.objectOrNull()
		default:
			_, err = d.value(0)
		}
		if err != nil {
			return err
		}
		d.space()
		if d.consume('}') {
			return d.end()
		}
		if !d.consume(',') {
			return errNotRequest
		}
		d.space()
	}
}

// decoder reads JSON values from data, from pos on.
type decoder struct {
	data []byte
	pos  int
}

// end reports an error unless only white space is left.
func (d *decoder) end() error {
	d.space()
	if d.pos != len(d.data) {
		return errNotRequest
	}
	return nil
}

func (d *decoder) space() {
	d.pos = jsonlex.Space(d.data, d.pos)
}

func (d *decoder) consume(c byte) bool {
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

// literal consumes the literal word (true, false or null).
func (d *decoder) literal(word string) bool {
	if len(d.data)-d.pos >= len(word) && string(d.data[d.pos:d.pos+len(word)]) == word {
		d.pos += len(word)
		return true
	}
	return false
}

func (d *decoder) stringOrNull() (string, error) {
	if d.literal("null") {
		return "", nil
	}
	return d.string()
}

func (d *decoder) objectOrNull() (map[string]any, error) {
	if d.literal("null") {
		return nil, nil
	}
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return nil, errNotRequest
	}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

// rawString consumes a JSON string and returns it with its quotes, and
// whether it holds escapes or only ASCII. It checks what JSON requires of
// a string (jsonlex.String) and nothing more.
func (d *decoder) rawString() (raw []byte, escaped, ascii, ok bool) {
	end, escaped, ascii, ok := jsonlex.String(d.data, d.pos)
	if !ok {
		return nil, false, false, false
	}
	raw = d.data[d.pos:end]
	d.pos = end
	return raw, escaped, ascii, true
}

// string consumes a JSON string and returns its value.
func (d *decoder) string() (string, error) {
	raw, escaped, ascii, ok := d.rawString()
	if !ok {
		return "", errNotRequest
	}
	if s := raw[1 : len(raw)-1]; !escaped && (ascii || utf8.Valid(s)) {
		return string(s), nil
	}
	// encoding/json decodes escapes and replaces invalid UTF-8 (and lone
	// surrogates) with U+FFFD; let it, so that strings mean what they
	// always did.
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", errNotRequest
	}
	return v, nil
}

// value consumes any JSON value, at the nesting depth depth, and returns
// it as encoding/json decodes into an interface with UseNumber:
// map[string]any, []any, string, json.Number, bool or nil.
func (d *decoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, errNotRequest
	}
	switch c := d.data[d.pos]; {
	case c == '"':
		return d.string()
	case c == '{':
		if depth++; depth > maxNesting {
			return nil, errNotRequest
		}
		d.pos++
		m := make(map[string]any)
		d.space()
		if d.consume('}') {
			return m, nil
		}
		for {
			k, err := d.string()
			if err != nil {
				return nil, err
			}
			d.space()
			if !d.consume(':') {
				return nil, errNotRequest
			}
			d.space()
			v, err := d.value(depth)
			if err != nil {
				return nil, err
			}
			m[k] = v
			d.space()
			if d.consume('}') {
				return m, nil
			}
			if !d.consume(',') {
				return nil, errNotRequest
			}
			d.space()
		}
	case c == '[':
		if depth++; depth > maxNesting {
			return nil, errNotRequest
		}
		d.pos++
		a := []any{}
		d.space()
		if d.consume(']') {
			return a, nil
		}
		for {
			v, err := d.value(depth)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
			d.space()
			if d.consume(']') {
				return a, nil
			}
			if !d.consume(',') {
				return nil, errNotRequest
			}
			d.space()
		}
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("null"):
		return nil, nil
	}
	return nil, errNotRequest
}

// number consumes a JSON number (jsonlex.Number).
func (d *decoder) number() (json.Number, error) {
	end, ok := jsonlex.Number(d.data, d.pos)
	if !ok {
		return "", errNotRequest
	}
	n := json.Number(d.data[d.pos:end])
	d.pos = end
	return n, nil
}
