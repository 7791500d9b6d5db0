package filesource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/autonomos/autonomos/aam"
)

// scanner reads delimited records or lines from a stream through a
// sliding window, tracking the byte offset and line number of its
// position. Memory is bounded by maxBytes: a record that does not fit is
// a row error, and the scanner moves on to the next line.
type scanner struct {
	r        io.Reader
	buf      []byte
	pos, end int
	base     int64 // stream offset of buf[0]
	line     int64 // line number at buf[pos], 1-based
	eof      bool
	rerr     error // a read error other than io.EOF
	comma    byte
	lazy     bool
	maxBytes int
	maxLines int
}

const initialWindow = 256 << 10

func newScanner(r io.Reader, off, line int64, maxBytes, maxLines int) *scanner {
	n := initialWindow
	if n > maxBytes+1 {
		n = maxBytes + 1
	}
	return &scanner{r: r, buf: make([]byte, n), base: off, line: line, maxBytes: maxBytes, maxLines: maxLines}
}

// offset returns the stream offset of the scanner's position.
func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

// fill reads more input after the window's content, sliding and growing
// the window as needed. It returns false when nothing more can be read:
// at the end of input or when the window is at its largest and full.
func (s *scanner) fill() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.end -= s.pos
		s.pos = 0
	}
	if s.end == len(s.buf) {
		limit := s.maxBytes + 1
		if len(s.buf) >= limit {
			return false
		}
		nb := make([]byte, min(2*len(s.buf), limit))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.rerr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.eof, s.rerr = true, io.ErrNoProgress
	return false
}

// skipBOM drops a UTF-8 byte order mark at the start of the stream.
func (s *scanner) skipBOM() {
	for s.end-s.pos < 3 && s.fill() {
	}
	if bytes.HasPrefix(s.buf[s.pos:s.end], []byte("\xef\xbb\xbf")) {
		s.pos += 3
	}
}

// discard advances to stream offset off, counting no lines (the caller
// knows the line at off).
func (s *scanner) discard(ctx context.Context, off int64) error {
	for s.offset() < off {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.pos == s.end && !s.fill() {
			if s.rerr != nil {
				return s.rerr
			}
			return io.ErrUnexpectedEOF
		}
		s.pos += int(min(off-s.offset(), int64(s.end-s.pos)))
	}
	return nil
}

// skipLine moves past the next newline (or to the end of input).
func (s *scanner) skipLine() {
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
			s.pos += i + 1
			s.line++
			return
		}
		s.pos = s.end
		if !s.fill() {
			return
		}
	}
}

// skipBlank skips empty lines ("\n" or "\r\n") and reports whether input
// remains.
func (s *scanner) skipBlank() bool {
	for {
		if s.pos == s.end && !s.fill() {
			return false
		}
		switch s.buf[s.pos] {
		case '\n':
			s.pos++
			s.line++
			continue
		case '\r':
			if s.pos+1 == s.end && !s.fill() {
				if s.eof && s.rerr == nil { // a last line of just "\r" is blank
					s.pos++
					return false
				}
				return true
			}
			if s.buf[s.pos+1] == '\n' {
				s.pos += 2
				s.line++
				continue
			}
		}
		return true
	}
}

// Reasons for malformed records; wrapped with aam.ErrMalformedRecord.
var (
	errBareQuote    = errors.New(`bare " in an unquoted field`)
	errAfterQuote   = errors.New(`unexpected character after a closing "`)
	errUnterminated = errors.New(`quoted field not terminated`)
	errTooLarge     = errors.New("record larger than the limit")
)

type parseResult uint8

const (
	parsed parseResult = iota
	needMore
	malformed
)

// record parses the next record, appending its unquoted cells to out
// and the end of each cell in out to cuts. It returns ok=false at the
// end of input. A malformed record returns a row error (with its start
// line and offset) and leaves the scanner at the line after the
// record's first line; the cells are then not appended.
func (s *scanner) record(out []byte, cuts []int) (_ []byte, _ []int, line, off int64, rowErr error, ok bool) {
	if !s.skipBlank() {
		return out, cuts, 0, 0, nil, false
	}
	o0, c0 := len(out), len(cuts)
	for {
		line, off = s.line, s.offset()
		var (
			res  parseResult
			next int
			nl   int
			why  error
		)
		out, cuts, res, next, nl, why = s.parse(out, cuts)
		switch res {
		case parsed:
			s.pos = next
			s.line += int64(nl) + 1
			return out, cuts, line, off, nil, true
		case malformed:
			out, cuts = out[:o0], cuts[:c0]
			s.skipLine()
			return out, cuts, line, off, fmt.Errorf("%w: %w", aam.ErrMalformedRecord, why), true
		}
		out, cuts = out[:o0], cuts[:c0]
		if !s.fill() {
			if s.eof {
				continue // parse again, seeing the end of input
			}
			s.skipLine()
			return out, cuts, line, off, fmt.Errorf("%w: %w (%d bytes)", aam.ErrMalformedRecord, errTooLarge, s.maxBytes), true
		}
	}
}

// parse parses the record at s.pos without moving the scanner. next is
// where the following record starts and nl the number of newlines
// inside quoted cells.
func (s *scanner) parse(out []byte, cuts []int) (_ []byte, _ []int, res parseResult, next, nl int, why error) {
	buf := s.buf[:s.end]
	i := s.pos
	// lineEnd is the index of the newline ending the physical line at i,
	// or len(buf) when the window holds no newline after i.
	lineEnd := -1
	for {
		if i < len(buf) && buf[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(buf[i:], '"')
				if j < 0 {
					if nl+bytes.Count(buf[i:], []byte{'\n'}) > s.maxLines || s.eof {
						return out, cuts, malformed, 0, 0, errUnterminated
					}
					return out, cuts, needMore, 0, 0, nil
				}
				seg := buf[i : i+j]
				if k := bytes.Count(seg, []byte{'\n'}); k > 0 {
					nl += k
					if nl > s.maxLines {
						return out, cuts, malformed, 0, 0, errUnterminated
					}
					// A CRLF inside a quoted cell is a line break: "\n",
					// as encoding/csv reads it.
					for {
						c := bytes.Index(seg, []byte("\r\n"))
						if c < 0 {
							break
						}
						out = append(out, seg[:c]...)
						seg = seg[c+1:]
					}
				}
				out = append(out, seg...)
				i += j + 1
				if i == len(buf) {
					if !s.eof {
						return out, cuts, needMore, 0, 0, nil
					}
					break
				}
				if buf[i] == '"' {
					out = append(out, '"')
					i++
					continue
				}
				break
			}
			cuts = append(cuts, len(out))
			if i == len(buf) {
				return out, cuts, parsed, i, nl, nil
			}
			switch c := buf[i]; {
			case c == s.comma:
				i++
				continue
			case c == '\n':
				return out, cuts, parsed, i + 1, nl, nil
			case c == '\r':
				if i+1 == len(buf) {
					if !s.eof {
						return out, cuts, needMore, 0, 0, nil
					}
					return out, cuts, parsed, i + 1, nl, nil
				}
				if buf[i+1] == '\n' {
					return out, cuts, parsed, i + 2, nl, nil
				}
			}
			return out, cuts, malformed, 0, 0, errAfterQuote
		}
		if lineEnd < i {
			if k := bytes.IndexByte(buf[i:], '\n'); k >= 0 {
				lineEnd = i + k
			} else {
				lineEnd = len(buf)
			}
		}
		start := i
		j := bytes.IndexByte(buf[i:lineEnd], s.comma)
		if j < 0 {
			j = lineEnd - i
		}
		i += j
		if !s.lazy && bytes.IndexByte(buf[start:i], '"') >= 0 {
			return out, cuts, malformed, 0, 0, errBareQuote
		}
		if i == len(buf) && !s.eof {
			return out, cuts, needMore, 0, 0, nil
		}
		f := buf[start:i]
		if (i == len(buf) || buf[i] == '\n') && len(f) > 0 && f[len(f)-1] == '\r' {
			f = f[:len(f)-1]
		}
		out = append(out, f...)
		cuts = append(cuts, len(out))
		if i == len(buf) {
			return out, cuts, parsed, i, nl, nil
		}
		if buf[i] == s.comma {
			i++
			continue
		}
		return out, cuts, parsed, i + 1, nl, nil
	}
}

// line returns the next non-empty line without its line ending, valid
// until the next call. ok is false at the end of input; a line longer
// than the limit is a row error.
func (s *scanner) nextLine() (b []byte, line, off int64, rowErr error, ok bool) {
	if !s.skipBlank() {
		return nil, 0, 0, nil, false
	}
	for {
		line, off = s.line, s.offset()
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
			b = s.buf[s.pos : s.pos+i]
			s.pos += i + 1
			s.line++
			return bytes.TrimSuffix(b, []byte{'\r'}), line, off, nil, true
		}
		if s.eof {
			b = s.buf[s.pos:s.end]
			s.pos = s.end
			return bytes.TrimSuffix(b, []byte{'\r'}), line, off, nil, true
		}
		if !s.fill() && !s.eof {
			s.skipLine()
			return nil, line, off, fmt.Errorf("%w: %w (%d bytes)", aam.ErrMalformedRecord, errTooLarge, s.maxBytes), true
		}
	}
}

// invalidCell returns the 1-based index of the first cell of a record
// that is not valid UTF-8, or 0.
func invalidCell(out []byte, cuts []int, o0 int) int {
	if utf8.Valid(out[o0:]) {
		return 0
	}
	prev := o0
	for k, c := range cuts {
		if !utf8.Valid(out[prev:c]) {
			return k + 1
		}
		prev = int(c)
	}
	return len(cuts)
}
