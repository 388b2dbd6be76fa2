package upstream

import (
	"encoding/json"
	"slices"
)

// entitiesRequest returns the body of the _entities request: query, with
// args and the representations of the entities of typename with the
// given ids (distinct) as its variables. The body is the one
// json.Marshal makes of request{query, args + "representations"}, byte
// for byte, written without reflection: the representations are most of
// it, and alike.
func entitiesRequest(query string, args map[string]any, typename string, ids []string) ([]byte, error) {
	// {"__typename":"T","id":"ID"}, and a comma
	const perRep = len(`{"__typename":"","id":""},`)
	size := len(`{"query":"","variables":{"representations":[]}}`) + len(query) + len(ids)*(perRep+len(typename))
	for _, id := range ids {
		size += len(id)
	}
	b := make([]byte, 0, size+len(args)*32)
	b = append(b, `{"query":`...)
	b = appendString(b, query)
	b = append(b, `,"variables":{`...)
	// json.Marshal writes a map's keys sorted; "representations" sorts
	// after the arguments' a0, a1, ...
	names := make([]string, 0, len(args))
	for name := range args {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		v, err := json.Marshal(args[name])
		if err != nil {
			return nil, err
		}
		b = appendString(b, name)
		b = append(b, ':')
		b = append(b, v...)
		b = append(b, ',')
	}
	b = append(b, `"representations":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"__typename":`...)
		b = appendString(b, typename)
		b = append(b, `,"id":`...)
		b = appendString(b, id)
		b = append(b, '}')
	}
	b = append(b, "]}}"...)
	return b, nil
}

// appendString appends s as json.Marshal writes it: as it is, quoted,
// when it is printable ASCII that json.Marshal does not escape (no '"',
// '\\', '<', '>' or '&'), and as json.Marshal writes it otherwise.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < ' ' || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
