// Package jsonvalue holds the member of a decoded JSON object that the
// upstream client, which decodes an upstream's answer, and the executor,
// which writes it into a response, share: its own package so that
// neither depends on the other.
package jsonvalue

// Member is a member of a decoded JSON object: its name, its value (a
// JSON value as encoding/json decodes it into any, but with numbers as
// json.Number and objects as the decoder's own object type), and its text.
//
// Text is the value's JSON text as it was decoded, when that text is
// compact (no white space between tokens), its strings (names too) hold
// no escapes and only valid UTF-8, and its objects no repeated names;
// otherwise it is empty. Such text is what the gateway would write for
// the value if the value fits its type.
type Member struct {
	Name  string
	Value any
	Text  string
}
