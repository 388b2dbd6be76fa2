package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Extension values are kept as Postgres keeps them in jsonb: what
// encoding/json makes of them. normalizeExt gives Memory the same values
// (numbers become float64, structs become maps, and so on), so that both
// stores return the same Ext for the same input.

// normalizeExt returns a copy of ext as it reads back from jsonb. A nil ext
// becomes an empty map.
func normalizeExt(ext map[string]any) (map[string]any, error) {
	out := map[string]any{}
	if len(ext) == 0 {
		return out, nil
	}
	b, err := json.Marshal(ext)
	if err != nil {
		return nil, fmt.Errorf("store: encode extension values: %w", err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("store: decode extension values: %w", err)
	}
	if err := checkJSONText(out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkJSONText reports an error if a key or string in v has a NUL
// character, which jsonb cannot hold.
func checkJSONText(v any) error {
	switch v := v.(type) {
	case string:
		if strings.IndexByte(v, 0) >= 0 {
			return errors.New("store: extension value contains a NUL character")
		}
	case []any:
		for _, e := range v {
			if err := checkJSONText(e); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range v {
			if err := checkJSONText(k); err != nil {
				return err
			}
			if err := checkJSONText(e); err != nil {
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
