package upstream

import (
	"encoding/json"
	"strings"
	"testing"
)

// The fast paths decode exactly what the JSON decoder would.
func TestFlexStringFastPathsMatchTheDecoder(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`"635468024"`, `" 12 "`, `"a\"b"`, `"\u0041x"`, `"é"`, "\"\xff\"", `""`,
		`635468024`, `-1.5e3`, `0.25`, `1e999`, `null`} {
		var fast flexString
		if err := fast.UnmarshalJSON([]byte(in)); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		var want string
		var s string
		var n json.Number
		switch {
		case in == "null":
		case json.Unmarshal([]byte(in), &s) == nil:
			want = strings.TrimSpace(s)
		case json.Unmarshal([]byte(in), &n) == nil:
			want = n.String()
		}
		if string(fast) != want {
			t.Errorf("%s: fast path %q, decoder %q", in, fast, want)
		}
	}
}
