package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// decodeBoth decodes a response whose _entities are text with
// encoding/json alone and with entityList, as attempt does (a Decoder
// with UseNumber).
func decodeBoth(text string) (want []map[string]any, wantErr error, got entityList, gotErr error) {
	body := []byte(`{"data":{"_entities":` + text + `}}`)
	var std response[struct {
		Entities []map[string]any `json:"_entities"`
	}]
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	wantErr = dec.Decode(&std)
	var ours response[entitiesData]
	dec = json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	gotErr = dec.Decode(&ours)
	if std.Data != nil {
		want = std.Data.Entities
	}
	if ours.Data != nil {
		got = ours.Data.Entities
	}
	return want, wantErr, got, gotErr
}

// entityCases are _entities texts, good and bad, that entityList must
// decode as encoding/json does; they seed FuzzEntityList.
var entityCases = []string{
	`[]`,
	`null`,
	` [ null , {} ] `,
	`[{"stock":435,"warehouse":{"code":"AMS1","city":"Amsterdam"}},{"stock":null,"warehouse":{"code":"WAW1","city":null}}]`,
	`[{"n":-1.5e+10,"z":0,"f":false,"t":true,"l":[1,"two",[3],{"four":4}],"e":[],"o":{}}]`,
	`[{"a":1,"a":2,"b":{"x":1},"b":{"y":2}}]`,
	`[{"s":"tab\there \"quoted\" \\ \/ \u00e9 \ud83d\ude00 \ud800 end"}]`,
	`[{"s":"caf` + "\xc3\xa9" + `","k` + "\xe2\x82\xac" + `":"€"}]`,
	`[{"s":"bad ` + "\xff\xfe" + ` utf-8"}]`,
	`[{"\u0073tock":1}]`,
	`[1]`,
	`["x"]`,
	`[[]]`,
	`{}`,
	`"entities"`,
	`42`,
	`[{"a":1},]`,
	`[{"a":1}`,
	`[{"a" 1}]`,
	`[{"a":01}]`,
	`[{"a":tru}]`,
	`[{"a":"` + "\x01" + `"}]`,
}

func TestEntityListDecodesAsEncodingJSON(t *testing.T) {
	for _, text := range entityCases {
		want, wantErr, got, gotErr := decodeBoth(text)
		if (wantErr == nil) != (gotErr == nil) {
			t.Errorf("%s: encoding/json: %v; entityList: %v", text, wantErr, gotErr)
			continue
		}
		if wantErr == nil && !reflect.DeepEqual(want, asMaps(got)) {
			t.Errorf("%s:\n got %#v\nwant %#v", text, got, want)
		}
		for _, o := range got {
			if err := checkTexts(o); err != nil {
				t.Errorf("%s: %v", text, err)
			}
		}
	}
}

// checkTexts returns an error unless the text of every field of o, and
// of the objects below, is empty or what Field.Text promises: compact
// JSON without escapes or repeated names that decodes to the field's
// value.
func checkTexts(o *Object) error {
	if err := checkText("the object", o.Text(), o); err != nil {
		return err
	}
	for _, f := range o.Fields() {
		if sub, ok := f.Value.(*Object); ok {
			if err := checkTexts(sub); err != nil {
				return err
			}
		}
		if err := checkText("field "+f.Name, f.Text, f.Value); err != nil {
			return err
		}
	}
	return nil
}

// checkText returns an error unless text, the text of the value v named
// what, is empty or what Field.Text promises.
func checkText(what, text string, v any) error {
	if text == "" {
		return nil
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(text)); err != nil || compact.String() != text {
		return fmt.Errorf("%s: text %q is not compact JSON", what, text)
	}
	if strings.Contains(text, `\`) || !utf8.ValidString(text) {
		return fmt.Errorf("%s: text %q holds an escape or invalid UTF-8", what, text)
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var got any
	if err := dec.Decode(&got); err != nil || !reflect.DeepEqual(got, asValue(v)) {
		return fmt.Errorf("%s: text %q is not its value %#v", what, text, v)
	}
	if repeatsName(text) {
		return fmt.Errorf("%s: text %q repeats a name", what, text)
	}
	return nil
}

// repeatsName reports whether an object of the JSON text has a name
// twice.
func repeatsName(text string) bool {
	dec := json.NewDecoder(strings.NewReader(text))
	type level struct {
		object bool
		names  map[string]bool
		key    bool // the next string is a name
	}
	var stack []*level
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if top != nil && top.object {
				top.key = true
			}
			stack = append(stack, &level{object: tok == json.Delim('{'), names: map[string]bool{}, key: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				stack[len(stack)-1].key = true
			}
			continue
		}
		if top == nil || !top.object {
			continue
		}
		if top.key {
			name := tok.(string)
			if top.names[name] {
				return true
			}
			top.names[name] = true
			top.key = false
		} else {
			top.key = true
		}
	}
}

// A field's text is kept only when it is what the gateway would write.
func TestFieldText(t *testing.T) {
	var l entityList
	text := `[{"stock":435,"n":-1.5e+10,"w":{"code":"AMS1","city":null},"l":[1,{"x":true}],` +
		`"s":"caf` + "\xc3\xa9" + `","esc":"a\"b","sp":{"a": 1},"dup":{"a":1,"a":2},"k":{"\u0073":1},"bad":"` + "\xff" + `"}]`
	if err := l.UnmarshalJSON([]byte(text)); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"stock": "435",
		"n":     "-1.5e+10",
		"w":     `{"code":"AMS1","city":null}`,
		"l":     `[1,{"x":true}]`,
		"s":     `"caf` + "\xc3\xa9" + `"`,
		"esc":   "", // an escape
		"sp":    "", // white space
		"dup":   "", // a repeated name
		"k":     "", // an escaped name
		"bad":   "", // invalid UTF-8
	}
	if l[0].Text() != "" {
		t.Errorf("an entity with unclean members has the text %q", l[0].Text())
	}
	var clean entityList
	const entity = `{"stock":1,"warehouse":{"code":"W1","city":"Lyon"}}`
	if err := clean.UnmarshalJSON([]byte("[ " + entity + " , null ]")); err != nil || clean[0].Text() != entity {
		t.Errorf("a clean entity between white space: text %q, %v", clean[0].Text(), err)
	}
	for _, f := range l[0].Fields() {
		if f.Text != want[f.Name] {
			t.Errorf("%s: text %q, want %q", f.Name, f.Text, want[f.Name])
		}
	}
	if err := checkTexts(l[0]); err != nil {
		t.Error(err)
	}
	for text, want := range map[string]bool{`{"a":1,"a":2}`: true, `{"a":{"a":1},"b":[{"a":1},{"a":2}]}`: false, `[{"x":{"b":1,"b":2}}]`: true} {
		if repeatsName(text) != want {
			t.Errorf("repeatsName(%s) = %v", text, !want)
		}
	}
	if w := l[0].With("stock", 1); w.Fields()[0].Text != "" {
		t.Errorf("With kept the replaced value's text %q", w.Fields()[0].Text)
	}
}

// Lists longer than a slab decode as encoding/json decodes them, with
// objects of all sizes and strings that hold '{' and ':'.
func TestEntityListAcrossSlabs(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range 3000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"stock":%d,"note":"{a:b}","warehouse":{"code":"W%d","tags":[{}, {"x":%d}]}`, i, i, i)
		for k := range i % 40 {
			fmt.Fprintf(&b, `,"f%d":%d`, k, k)
		}
		b.WriteString("}")
	}
	b.WriteString("]")
	want, wantErr, got, gotErr := decodeBoth(b.String())
	if wantErr != nil || gotErr != nil {
		t.Fatalf("encoding/json: %v; entityList: %v", wantErr, gotErr)
	}
	if !reflect.DeepEqual(want, asMaps(got)) {
		t.Error("entityList decodes a long list differently from encoding/json")
	}
}

// FuzzEntityList checks that entityList decodes any text as
// encoding/json does, or fails where it fails.
func FuzzEntityList(f *testing.F) {
	for _, text := range entityCases {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		want, wantErr, got, gotErr := decodeBoth(text)
		var typeErr *json.UnmarshalTypeError
		if errors.As(wantErr, &typeErr) && gotErr == nil {
			t.Fatalf("%q: entityList decodes what encoding/json refuses: %v", text, wantErr)
		}
		if wantErr != nil {
			// Not JSON: encoding/json never gives entityList such text.
			return
		}
		if gotErr != nil {
			t.Fatalf("%q: entityList fails where encoding/json decodes: %v", text, gotErr)
		}
		if !reflect.DeepEqual(want, asMaps(got)) {
			t.Fatalf("%q:\n got %#v\nwant %#v", text, got, want)
		}
		for _, o := range got {
			if err := checkTexts(o); err != nil {
				t.Fatalf("%q: %v", text, err)
			}
		}
	})
}

// AsMap is asMap, for the black-box tests.
var AsMap = asMap

// asMaps returns l as encoding/json decodes it into []map[string]any.
func asMaps(l entityList) []map[string]any {
	if l == nil {
		return nil
	}
	out := make([]map[string]any, len(l))
	for i, o := range l {
		out[i] = asMap(o)
	}
	return out
}

// asMap returns o as encoding/json decodes it into map[string]any: nil
// if o is nil.
func asMap(o *Object) map[string]any {
	if o == nil {
		return nil
	}
	m := make(map[string]any, len(o.Fields()))
	for _, f := range o.Fields() {
		m[f.Name] = asValue(f.Value)
	}
	return m
}

func asValue(v any) any {
	switch x := v.(type) {
	case *Object:
		return asMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = asValue(e)
		}
		return out
	}
	return v
}

func TestObject(t *testing.T) {
	o := NewObject(Field{Name: "a", Value: 1}, Field{Name: "b", Value: 2}, Field{Name: "a", Value: 3})
	if got := o.Fields(); !reflect.DeepEqual(got, []Field{{Name: "a", Value: 3}, {Name: "b", Value: 2}}) {
		t.Errorf("NewObject: fields %v, want a=3, b=2", got)
	}
	if v := o.FieldValue("a"); v != 3 {
		t.Errorf("FieldValue(a) = %v, want 3", v)
	}
	if v := o.FieldValue("c"); v != nil {
		t.Errorf("FieldValue(c) = %v, want nil", v)
	}
	w := o.With("b", "x").With("c", "y")
	if got := w.Fields(); !reflect.DeepEqual(got, []Field{{Name: "a", Value: 3}, {Name: "b", Value: "x"}, {Name: "c", Value: "y"}}) {
		t.Errorf("With: fields %v", got)
	}
	if v := o.FieldValue("b"); v != 2 {
		t.Errorf("With changed its receiver: b = %v", v)
	}
	var null *Object
	if null.FieldValue("a") != nil || null.Fields() != nil {
		t.Error("a nil Object has fields")
	}
	// Many fields, with equal names: the last value of each name.
	var fs []Field
	for i := range 40 {
		fs = append(fs, Field{Name: string(rune('a' + i%20)), Value: i})
	}
	many := NewObject(fs...)
	if n := len(many.Fields()); n != 20 {
		t.Errorf("%d fields, want 20", n)
	}
	if v := many.FieldValue("c"); v != 22 {
		t.Errorf("FieldValue(c) = %v, want 22", v)
	}
}
