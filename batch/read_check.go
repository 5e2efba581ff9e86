package batch

import (
	"bytes"
	"fmt"
	"io"
)

// check reads the whole file once: it recognises the encoding and the
// delimiter, finds the columns and judges every row.
func (in *Input) check(opt *ReadOptions) error {
	var err error
	if in.judge, err = newRowJudge(opt); err != nil {
		return err
	}
	if in.enc, err = lookupEncoding(opt.Encoding); err != nil {
		return err
	}
	if opt.Delimiter != 0 && !validDelimiter(opt.Delimiter) {
		return fmt.Errorf("%w: %q cannot be a delimiter", ErrOption, opt.Delimiter)
	}
	sample, truncated, err := in.sniff()
	if err != nil {
		return err
	}
	in.users = newUserTally(in.seed, in.estimateRows(sample))
	sep, sepLine := excelSep(sample)
	in.delim, in.sepLine = opt.Delimiter, sepLine
	if in.delim == 0 && sepLine {
		in.delim = sep
	}
	detected := detectDelimiter(sample, truncated, recognisable)
	if in.delim == 0 {
		in.delim = detected
	}
	if err := checkGivenDelimiter(opt.Delimiter, detected, sample, sepLine); err != nil {
		return &InputError{File: in.name, Line: 1, Err: err}
	}
	in.sum.Delimiter = in.delim
	return in.firstPass(opt)
}

// sniff looks at the start of the file: it refuses files that are not CSV
// text and returns the start decoded, and whether the file goes on past it.
func (in *Input) sniff() ([]byte, bool, error) {
	fi, err := in.f.Stat()
	if err != nil {
		return nil, false, &InputError{File: in.name, Err: fmt.Errorf("read: %w", err)}
	}
	in.size, in.modTime = fi.Size(), fi.ModTime()
	if in.size == 0 {
		return nil, false, &InputError{File: in.name, Err: fmt.Errorf("%w: the file is empty", ErrEmpty)}
	}
	head := make([]byte, min(in.size, sniffSize))
	if _, err := in.f.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, false, &InputError{File: in.name, Err: fmt.Errorf("read: %w", err)}
	}
	in.enc, in.sum.BOM = in.enc.withBOM(head)
	in.sum.Encoding = in.enc.name
	if err := sniffNotCSV(head, in.enc); err != nil {
		return nil, false, &InputError{File: in.name, Err: err}
	}
	sample, truncated := decodeSample(head, in.enc), in.size > int64(len(head))
	if truncated {
		sample = sample[:bytes.LastIndexByte(sample, '\n')+1]
	}
	if err := checkLineEnds(sample); err != nil {
		return nil, false, &InputError{File: in.name, Line: 1, Err: err}
	}
	return sample, truncated, nil
}

// estimateRows returns about how many lines the file has, judging by the
// lines in sample, the decoded start of the file.
func (in *Input) estimateRows(sample []byte) int {
	lines := int64(bytes.Count(sample, []byte{'\n'}) + 1)
	return int(in.size * lines / min(in.size, sniffSize))
}

// firstPass reads every record, finds the columns in the first and judges
// the rest, and counts what Summary reports.
func (in *Input) firstPass(opt *ReadOptions) error {
	s := in.scan()
	rec, line, err := s.next()
	if err == io.EOF {
		return &InputError{File: in.name, Err: fmt.Errorf("%w: the file holds only blanks", ErrEmpty)}
	}
	if err != nil {
		return err
	}
	if err := in.findColumns(rec, line, opt); err != nil {
		return err
	}
	if in.judge.header == nil {
		in.tally(rec, line)
	}
	for {
		r, l, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if l > maxLine {
			return &InputError{File: in.name, Line: l, Err: fmt.Errorf("too many lines")}
		}
		in.tally(r, l)
	}
	if in.sum.Rows == 0 {
		return &InputError{File: in.name, Line: line,
			Err: fmt.Errorf("%w: the file has a header but no rows", ErrEmpty)}
	}
	in.digest = s.sum()
	in.users.settle(&in.sum)
	return nil
}

// findColumns sets the layout of the file from its first record, first,
// which starts on line.
func (in *Input) findColumns(first []string, line int, opt *ReadOptions) error {
	lay := listLayout
	if hasHeader(first, opt) {
		header := make([]string, len(first))
		for i, c := range first {
			header[i] = cleanCell(c)
		}
		var err error
		if lay, err = headerLayout(header, opt); err != nil {
			if !hasHeader(first, &ReadOptions{}) {
				err = fmt.Errorf("%w; the first line looks like a user, not a header: "+
					"a file without a header needs no --column", err)
			}
			return &InputError{File: in.name, Line: line, Err: err}
		}
	}
	in.judge.colLayout = lay
	in.sum.Header = lay.header
	in.sum.Identity = lay.column(lay.identity)
	in.sum.Action = lay.column(lay.action)
	in.sum.Effective = lay.column(lay.effective)
	return nil
}

// column returns the Column at index i.
func (l colLayout) column(i int) Column {
	c := Column{Index: i}
	if i >= 0 && i < len(l.header) {
		c.Name = l.header[i]
	}
	return c
}

// tally judges rec, a data record, on its own and counts it.
func (in *Input) tally(rec []string, line int) {
	row := in.judge.judge(rec, line)
	in.sum.Rows++
	switch row.Outcome {
	case Invalid:
		in.sum.Invalid++
	case Skipped:
		in.sum.Skipped++
	default:
		in.users.add(row.User, row.Action, line)
	}
}

// checkGivenDelimiter refuses a delimiter given in the options that the
// first line does not hold while it holds the one detected: every row would
// read as one field, and the rows would fail for it one by one.
func checkGivenDelimiter(given, detected rune, sample []byte, sepLine bool) error {
	if given == 0 || given == detected || sepLine {
		return nil
	}
	first, _, _ := bytes.Cut(sample, []byte("\n"))
	if bytes.ContainsRune(first, given) || !bytes.ContainsRune(first, detected) {
		return nil
	}
	return fmt.Errorf("%w: the first line holds no %q but is split by %q: check the delimiter",
		ErrOption, given, detected)
}
