package batch

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is how much of the start of a file is read to recognise what it
// is and which delimiter it uses.
const sniffSize = 64 << 10

// sniffRecords is how many records of that start are parsed to choose the
// delimiter.
const sniffRecords = 100

// textEncoding is a character encoding that an input may use.
type textEncoding struct {
	name  string
	utf16 bool
	// decoder returns a new decoder to UTF-8 for text without a byte order
	// mark. It is nil for UTF-8 itself.
	decoder func() transform.Transformer
}

var (
	encUTF8    = textEncoding{name: "utf-8"}
	encUTF16LE = textEncoding{name: "utf-16le", utf16: true, decoder: func() transform.Transformer {
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()
	}}
	encUTF16BE = textEncoding{name: "utf-16be", utf16: true, decoder: func() transform.Transformer {
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()
	}}
	encWindows1252 = textEncoding{name: "windows-1252", decoder: func() transform.Transformer {
		return charmap.Windows1252.NewDecoder()
	}}
	encLatin1 = textEncoding{name: "latin1", decoder: func() transform.Transformer {
		return charmap.ISO8859_1.NewDecoder()
	}}
)

// textEncodings maps the names ReadOptions.Encoding accepts, in lower case, to
// their encodings.
var textEncodings = map[string]textEncoding{
	"":             encUTF8,
	"utf-8":        encUTF8,
	"utf8":         encUTF8,
	"utf-16le":     encUTF16LE,
	"utf-16be":     encUTF16BE,
	"windows-1252": encWindows1252,
	"cp1252":       encWindows1252,
	"latin1":       encLatin1,
	"iso-8859-1":   encLatin1,
}

// lookupEncoding returns the encoding named by ReadOptions.Encoding.
func lookupEncoding(name string) (textEncoding, error) {
	enc, ok := textEncodings[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return enc, fmt.Errorf("%w: unknown encoding %q: want utf-8, utf-16le, utf-16be, "+
			"windows-1252 or latin1", ErrOption, name)
	}
	return enc, nil
}

// newDecoder returns a transformer from the file's bytes to valid UTF-8. A
// byte order mark at the start wins over the chosen encoding and is dropped.
// Bytes that are not valid UTF-8 after decoding end the text with
// encoding.ErrInvalidUTF8.
func (e textEncoding) newDecoder() transform.Transformer {
	var fallback transform.Transformer = transform.Nop
	if e.decoder != nil {
		fallback = e.decoder()
	}
	return transform.Chain(unicode.BOMOverride(fallback), encoding.UTF8Validator)
}

// withBOM returns the encoding that the byte order mark at the start of head
// announces, or e when there is none.
func (e textEncoding) withBOM(head []byte) (textEncoding, bool) {
	switch {
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		return encUTF8, true
	case bytes.HasPrefix(head, []byte("\xFF\xFE")):
		return encUTF16LE, true
	case bytes.HasPrefix(head, []byte("\xFE\xFF")):
		return encUTF16BE, true
	}
	return e, false
}

// fileMagic is the start of a kind of file that people send instead of CSV.
type fileMagic struct {
	prefix string
	what   string
	advice string
}

var fileMagics = []fileMagic{
	{"PK\x03\x04", "an Excel workbook (xlsx) or another zip archive",
		"open it in Excel and save it as CSV UTF-8 (Comma delimited)"},
	{"PK\x05\x06", "an empty zip archive", "export the list as CSV"},
	{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "an Excel 97-2003 workbook (xls)",
		"open it in Excel and save it as CSV UTF-8 (Comma delimited)"},
	{"%PDF", "a PDF document", "export the list as CSV from where it came from"},
	{"{\\rtf", "a rich text (RTF) document", "save it as plain text"},
	{"\x1F\x8B", "a gzip archive", "unpack it first"},
}

// sniffNotCSV returns an error when head, the start of a file in encoding
// enc, shows that the file is not CSV text.
func sniffNotCSV(head []byte, enc textEncoding) error {
	for _, m := range fileMagics {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return fmt.Errorf("%w: it looks like %s: %s", ErrNotCSV, m.what, m.advice)
		}
	}
	lower := bytes.ToLower(bytes.TrimLeft(head[:min(len(head), 64)], " \t\r\n"))
	if bytes.HasPrefix(lower, []byte("<!doctype html")) || bytes.HasPrefix(lower, []byte("<html")) {
		return fmt.Errorf("%w: it looks like a web page (HTML): export the list as CSV", ErrNotCSV)
	}
	if enc.utf16 || bytes.IndexByte(head, 0) < 0 {
		return nil
	}
	if order := utf16Order(head); order != "" {
		return fmt.Errorf("%w: it looks like UTF-16 text without a byte order mark: "+
			"pass --encoding %s", ErrEncoding, order)
	}
	return fmt.Errorf("%w: it holds NUL bytes, so it looks like a binary file, not text", ErrNotCSV)
}

// utf16Order returns "utf-16le" or "utf-16be" when head looks like mostly
// ASCII text in UTF-16 without a byte order mark, and "" otherwise.
func utf16Order(head []byte) string {
	var zeros [2]int
	for i, b := range head {
		if b == 0 {
			zeros[i%2]++
		}
	}
	half := len(head) / 2
	switch {
	case half == 0:
		return ""
	case zeros[1] > half*3/4 && zeros[0] <= half/8:
		return "utf-16le"
	case zeros[0] > half*3/4 && zeros[1] <= half/8:
		return "utf-16be"
	}
	return ""
}

// decodeSample returns head decoded to UTF-8, cut at the first byte that
// does not decode: the full reading reports that byte.
func decodeSample(head []byte, enc textEncoding) []byte {
	text, err := io.ReadAll(transform.NewReader(bytes.NewReader(head), enc.newDecoder()))
	if err != nil && !errors.Is(err, encoding.ErrInvalidUTF8) {
		return nil
	}
	return text
}

// checkLineEnds returns an error when sample, decoded text, ends its lines
// with a carriage return alone, as the classic Mac OS did.
func checkLineEnds(sample []byte) error {
	if bytes.IndexByte(sample, '\n') >= 0 {
		return nil
	}
	if i := bytes.IndexByte(sample, '\r'); i >= 0 && i < len(sample)-1 {
		return fmt.Errorf("%w: its lines end with a carriage return alone (classic Mac OS): "+
			"save it as CSV UTF-8, or convert it with tr '\\r' '\\n'", ErrSyntax)
	}
	return nil
}

// delimiters are the field delimiters that are detected, in order of
// preference when the evidence is even.
var delimiters = []rune{',', ';', '\t', '|'}

// delimiterScore is how well a delimiter splits the sample: better when more
// cells are recognisable on their own, then when more records have as many
// fields as the first, then when the first record has more fields.
type delimiterScore struct {
	ok         bool
	recognised int
	consistent int
	fields     int
}

func (s delimiterScore) beats(t delimiterScore) bool {
	switch {
	case s.ok != t.ok:
		return s.ok
	case s.recognised != t.recognised:
		return s.recognised > t.recognised
	case s.consistent != t.consistent:
		return s.consistent > t.consistent
	}
	return s.fields > t.fields
}

// detectDelimiter returns the delimiter among delimiters that best splits
// sample, the decoded start of a file; truncated says whether the file goes
// on past it. A delimiter under which a quote is misplaced is out of the
// running, so quotes count: a ';' file whose names hold commas is a ';' file.
func detectDelimiter(sample []byte, truncated bool, known func(string) bool) rune {
	best, bestScore := delimiters[0], delimiterScore{}
	for _, d := range delimiters {
		if s := scoreDelimiter(sample, truncated, d, known); s.beats(bestScore) {
			best, bestScore = d, s
		}
	}
	return best
}

// scoreDelimiter parses sample with delimiter d and scores the result.
func scoreDelimiter(sample []byte, truncated bool, d rune, known func(string) bool) delimiterScore {
	r := csv.NewReader(bytes.NewReader(sample))
	r.Comma, r.FieldsPerRecord = d, -1
	s := delimiterScore{ok: true}
	for n := 0; n < sniffRecords; {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.ok = truncated && r.InputOffset() == int64(len(sample))
			break
		}
		if blankRecord(rec) {
			continue
		}
		if n == 0 {
			s.fields = len(rec)
		}
		if len(rec) == s.fields {
			s.consistent++
		}
		for _, c := range rec {
			if known(cleanCell(c)) {
				s.recognised++
			}
		}
		n++
	}
	return s
}

// excelSep returns the delimiter that the first line of sample names when
// it is an Excel "sep=" line, such as "sep=;".
func excelSep(sample []byte) (rune, bool) {
	line, _, _ := bytes.Cut(sample, []byte("\n"))
	rest, ok := bytes.CutPrefix(bytes.TrimSuffix(line, []byte("\r")), []byte("sep="))
	r, size := utf8.DecodeRune(rest)
	if !ok || size != len(rest) || !validDelimiter(r) {
		return 0, false
	}
	return r, true
}

// validDelimiter reports whether encoding/csv accepts d as a delimiter.
func validDelimiter(d rune) bool {
	return d != 0 && d != '"' && d != '\r' && d != '\n' && utf8.ValidRune(d) &&
		d != utf8.RuneError
}
