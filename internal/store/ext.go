package store

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Extension values are kept as Postgres keeps them in jsonb: what
// encoding/json makes of them, with every time.Time first written as a
// fixed-width UTC string (extTimeLayout). normalizeExt gives Memory the
// same values (numbers become float64, structs become maps, and so on), so
// that both stores return the same Ext for the same input; Postgres stores
// what normalizeExt returns.

// extTimeLayout is the layout of a time.Time in an extension value: UTC,
// with microseconds, and always 27 bytes long, so that byte order is time
// order. Times are truncated to the microsecond, as the base timestamps
// are.
const extTimeLayout = "2006-01-02T15:04:05.000000Z"

// extTimePattern matches the strings that extTimeLayout writes, in Go's
// regexp syntax and in Postgres's (it has no backslash, so it reads the
// same in an SQL string literal whatever standard_conforming_strings says).
// A string that does not match is not a time.
const extTimePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6}Z$`

// maxExtDepth bounds the nesting of extension values, as encoding/json
// bounds what it decodes. It also stops a cyclic value.
const maxExtDepth = 10000

// formatExtTime returns t as an extension value stores it. Years outside
// 0000-9999 have no fixed-width form (encoding/json refuses them too).
func formatExtTime(t time.Time) (string, error) {
	u := t.UTC()
	if y := u.Year(); y < 0 || y > 9999 {
		return "", fmt.Errorf("store: extension value %v: year outside 0000-9999", t)
	}
	return u.Format(extTimeLayout), nil
}

// normalizeExt returns a copy of ext as it reads back from jsonb. A nil ext
// becomes an empty map.
func normalizeExt(ext map[string]any) (map[string]any, error) {
	out := map[string]any{}
	if len(ext) == 0 {
		return out, nil
	}
	in, err := encodeExtTimes(ext, 0)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("store: encode extension values: %w", err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("store: decode extension values: %w", err)
	}
	if err := canonicalizeJSON(out); err != nil {
		return nil, err
	}
	return out, nil
}

// encodeExtTimes returns a copy of v in which every time.Time (and
// non-nil *time.Time) is replaced by its fixed-width string, looking into
// maps with string keys, slices, arrays, pointers and interfaces. Values
// of other kinds, and values that marshal themselves to JSON, are left to
// encoding/json; so a time.Time in a struct keeps its own JSON form.
func encodeExtTimes(v any, depth int) (any, error) {
	if depth > maxExtDepth {
		return nil, errors.New("store: extension value nested too deeply")
	}
	switch v := v.(type) {
	case nil, string, bool, float64, int, int64:
		return v, nil
	case time.Time:
		return formatExtTime(v)
	case *time.Time:
		if v == nil {
			return nil, nil
		}
		return formatExtTime(*v)
	case map[string]any:
		if v == nil {
			return nil, nil
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			var err error
			if out[k], err = encodeExtTimes(e, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case []any:
		if v == nil {
			return nil, nil
		}
		out := make([]any, len(v))
		for i, e := range v {
			var err error
			if out[i], err = encodeExtTimes(e, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case json.Marshaler, encoding.TextMarshaler:
		return v, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return encodeExtTimes(rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && (rv.IsNil() || rv.Type().Elem().Kind() == reflect.Uint8) {
			return v, nil // null, or a []byte that encoding/json writes in base64
		}
		out := make([]any, rv.Len())
		for i := range out {
			var err error
			if out[i], err = encodeExtTimes(rv.Index(i).Interface(), depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case reflect.Map:
		textKey := rv.Type().Key().Implements(reflect.TypeFor[encoding.TextMarshaler]())
		if rv.Type().Key().Kind() != reflect.String || textKey || rv.IsNil() {
			return v, nil
		}
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			var err error
			if out[it.Key().String()], err = encodeExtTimes(it.Value().Interface(), depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

// canonicalizeJSON checks and fixes a value decoded by encoding/json so
// that it is what jsonb reads back: it reports an error if a key or string
// has a NUL character, which jsonb cannot hold, and turns -0 into 0, as
// jsonb's numeric does. Maps and slices are changed in place.
func canonicalizeJSON(v any) error {
	switch v := v.(type) {
	case string:
		if strings.IndexByte(v, 0) >= 0 {
			return errors.New("store: extension value contains a NUL character")
		}
	case []any:
		for i, e := range v {
			if f, ok := e.(float64); ok && f == 0 {
				v[i] = 0.0 // -0 becomes 0
			}
			if err := canonicalizeJSON(e); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range v {
			if err := canonicalizeJSON(k); err != nil {
				return err
			}
			if f, ok := e.(float64); ok && f == 0 {
				v[k] = 0.0 // -0 becomes 0
			}
			if err := canonicalizeJSON(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// splitExtPatch splits GoodsPatch.Ext into the values to set, normalized,
// and the keys to remove (those with a nil value), sorted.
func splitExtPatch(patch map[string]any) (set map[string]any, remove []string, err error) {
	set, err = normalizeExt(patch)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range set {
		if v == nil {
			remove = append(remove, k)
			delete(set, k)
		}
	}
	slices.Sort(remove)
	return set, remove, nil
}

// cloneExt returns a deep copy of normalized extension values.
func cloneExt(ext map[string]any) map[string]any {
	out := make(map[string]any, len(ext))
	for k, v := range ext {
		out[k] = cloneJSON(v)
	}
	return out
}

func cloneJSON(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSON(e)
		}
		return out
	case map[string]any:
		return cloneExt(v)
	default:
		return v
	}
}

// mergeExt returns ext with set merged in and the keys in remove deleted,
// as jsonb's (ext - remove) || set does. ext is not modified.
func mergeExt(ext, set map[string]any, remove []string) map[string]any {
	out := make(map[string]any, len(ext)+len(set))
	maps.Copy(out, ext)
	for _, k := range remove {
		delete(out, k)
	}
	maps.Copy(out, set)
	return out
}
