package batch

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// FuzzRead checks that any bytes either fail with an *InputError or give
// exactly one Row per data row, on the lines where encoding/csv finds them.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "read", "*.csv"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(0))
	}
	f.Add([]byte("a@x.com\n\"b@x.com\"\r\n\n"), uint8(0))
	f.Add([]byte("Email;Action\n\"a@x.com\";\"ACTIVATE\"\n\"a@x.com\";deactivate\n"), uint8(5))
	f.Add([]byte("E\x00m\x00a\x00i\x00l\x00\n\x00"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		in, err := OpenReader(bytes.NewReader(data), fuzzOptions(mode))
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.Err == nil {
				t.Fatalf("OpenReader(%q) = %v; want an *InputError", data, err)
			}
			return
		}
		defer in.Close()
		sum := in.Summary()
		want := dataRowLines(t, data, sum)
		got := checkRows(t, in)
		if len(got) != len(want) || len(got) != sum.Rows {
			t.Fatalf("OpenReader(%q) gives %d rows, Summary %d; encoding/csv finds %d",
				data, len(got), sum.Rows, len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("OpenReader(%q): row %d is on line %d; encoding/csv says %d",
					data, i, got[i], want[i])
			}
		}
	})
}

// fuzzOptions returns the options that mode picks: an encoding, a
// delimiter, and whether to read an effective-date column.
func fuzzOptions(mode uint8) ReadOptions {
	opt := ReadOptions{Today: readToday}
	opt.Encoding = []string{"", "windows-1252", "utf-16le", "utf-16be"}[mode%4]
	opt.Delimiter = []rune{0, 0, ';', '\t'}[mode/4%4]
	if mode&16 != 0 {
		opt.EffectiveColumn = "date"
	}
	return opt
}

// checkRows reads the rows of in, checks that each is well formed and that
// they add up to the summary, and returns their lines.
func checkRows(t *testing.T, in *Input) []int {
	t.Helper()
	var lines []int
	counts := map[Outcome]int{}
	for row, err := range in.Rows() {
		if err != nil {
			t.Fatalf("Rows() = %v after %d rows; want no error", err, len(lines))
		}
		if len(lines) > 0 && row.Line <= lines[len(lines)-1] {
			t.Fatalf("Rows() gives line %d after line %d", row.Line, lines[len(lines)-1])
		}
		sent := row.Outcome == ""
		if (row.Message == "") != sent || sent && identityProblem(row.User) != "" {
			t.Fatalf("Rows() gives %+v: outcome and message disagree", row)
		}
		if row.Outcome != "" && row.Outcome != Invalid && row.Outcome != Skipped {
			t.Fatalf("Rows() gives %+v: want outcome \"\", invalid or skipped", row)
		}
		counts[Outcome(row.Action)+"/"+row.Outcome]++
		lines = append(lines, row.Line)
	}
	sum := in.Summary()
	if counts["activate/"] != sum.ToActivate || counts["deactivate/"] != sum.ToDeactivate {
		t.Fatalf("Rows() gives %v; Summary says %+v", counts, sum)
	}
	return lines
}

// dataRowLines returns the lines where the data rows of data start, found
// with encoding/csv in the encoding and with the delimiter that sum reports.
func dataRowLines(t *testing.T, data []byte, sum Summary) []int {
	t.Helper()
	text, err := io.ReadAll(transform.NewReader(bytes.NewReader(data), fuzzDecoder(sum.Encoding)))
	if err != nil {
		t.Fatalf("decoding input that Open accepted: %v", err)
	}
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma, r.FieldsPerRecord = sum.Delimiter, -1
	first, _, _ := strings.Cut(string(text), "\n")
	sep, isSep := strings.CutPrefix(strings.TrimSuffix(first, "\r"), "sep=")
	isSep = isSep && utf8.RuneCountInString(sep) == 1 && sep != `"` && sep != "\ufffd"
	var lines []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("encoding/csv fails on input that Open accepted: %v", err)
		}
		if line, _ := r.FieldPos(0); !fuzzBlank(rec) && !(isSep && line == 1) {
			lines = append(lines, line)
		}
	}
	if sum.Header != nil {
		lines = lines[1:]
	}
	return lines
}

// fuzzDecoder returns a decoder for the encoding that Summary names.
func fuzzDecoder(name string) transform.Transformer {
	switch name {
	case "utf-16le":
		return xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewDecoder()
	case "utf-16be":
		return xunicode.UTF16(xunicode.BigEndian, xunicode.UseBOM).NewDecoder()
	case "windows-1252":
		return charmap.Windows1252.NewDecoder()
	case "latin1":
		return charmap.ISO8859_1.NewDecoder()
	}
	return xunicode.UTF8BOM.NewDecoder()
}

// fuzzBlank reports whether every field of rec is empty once trimmed.
func fuzzBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimFunc(f, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.In(r, unicode.Cf)
		}) != "" {
			return false
		}
	}
	return true
}
