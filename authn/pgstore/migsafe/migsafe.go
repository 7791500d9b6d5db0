// Package migsafe refuses destructive SQL migrations unless they are
// marked destructive and the operator allows them.
//
// A migration is destructive when the Up part of it (the part after a
// "-- +goose Up" line and before "-- +goose Down", or the whole file
// without such lines) contains a statement that
//
//   - drops a table, schema or database (DROP TABLE / SCHEMA / DATABASE /
//     OWNED),
//   - drops a column (ALTER TABLE ... DROP [COLUMN] x; dropping a
//     constraint, default, NOT NULL, identity or expression is fine),
//   - truncates (TRUNCATE), or
//   - deletes without a WHERE clause (DELETE FROM t;).
//
// Such a migration runs only when it carries the annotation line
//
//	-- +aos destructive
//
// and the caller passes allowDestructive (an explicit operator setting).
// Comments, string literals and quoted identifiers are skipped when
// looking for these statements; the bodies of dollar-quoted function
// definitions are skipped too, while the body of a DO block, which runs
// at once, is checked. Dynamic SQL (EXECUTE 'DROP TABLE ...') is a string
// and is not seen: review such migrations by hand.
package migsafe

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
)

// ErrDestructive is wrapped by every refusal.
var ErrDestructive = errors.New("migsafe: destructive migration refused")

// DestructiveError reports one refused destructive statement. File and
// Line locate it; Kind says what it does ("DROP TABLE", "DROP COLUMN",
// "TRUNCATE", "DELETE without WHERE"); Marked says whether the file
// carried the "-- +aos destructive" annotation (then only the operator's
// setting was missing).
type DestructiveError struct {
	File   string
	Line   int
	Kind   string
	Marked bool
}

func (e *DestructiveError) Error() string {
	why := "the migration is not marked destructive (add a line \"-- +aos destructive\" and allow destructive migrations explicitly)"
	if e.Marked {
		why = "the migration is marked destructive but destructive migrations are not allowed (set the explicit allow-destructive setting)"
	}
	return fmt.Sprintf("migsafe: %s:%d: %s refused: %s", e.File, e.Line, e.Kind, why)
}

// Unwrap returns [ErrDestructive].
func (e *DestructiveError) Unwrap() error { return ErrDestructive }

// Finding is one destructive statement found by [Scan].
type Finding struct {
	Line int    // 1-based line of the statement's first token
	Kind string // "DROP TABLE", "DROP COLUMN", "TRUNCATE", ...
}

var markRE = regexp.MustCompile(`(?m)^[ \t]*--[ \t]*\+aos[ \t]+destructive[ \t]*\r?$`)

// Marked reports whether sql carries the "-- +aos destructive" line.
func Marked(sql []byte) bool { return markRE.Match(sql) }

// Check returns nil when the migration named file with contents sql may
// run: it has no destructive statement, or it is [Marked] and
// allowDestructive is set. Otherwise it returns a *[DestructiveError] for
// the first destructive statement.
func Check(file string, sql []byte, allowDestructive bool) error {
	findings := Scan(sql)
	if len(findings) == 0 {
		return nil
	}
	marked := Marked(sql)
	if marked && allowDestructive {
		return nil
	}
	return &DestructiveError{File: file, Line: findings[0].Line, Kind: findings[0].Kind, Marked: marked}
}

// CheckFS runs [Check] on each named file of fsys (all *.sql files in
// its root when names is empty) and returns the errors joined.
func CheckFS(fsys fs.FS, names []string, allowDestructive bool) error {
	if len(names) == 0 {
		var err error
		names, err = fs.Glob(fsys, "*.sql")
		if err != nil {
			return fmt.Errorf("migsafe: list migrations: %w", err)
		}
	}
	var errs []error
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return fmt.Errorf("migsafe: read %s: %w", n, err)
		}
		if err := Check(n, b, allowDestructive); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// upSection returns the Up part of a goose migration and the line its
// first byte is on.
func upSection(sql string) (string, int) {
	lines := strings.SplitAfter(sql, "\n")
	start, end := -1, len(lines)
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if !strings.HasPrefix(t, "--") {
			continue
		}
		switch strings.Join(strings.Fields(strings.TrimPrefix(t, "--")), " ") {
		case "+goose Up":
			if start < 0 {
				start = i + 1
			}
		case "+goose Down":
			if start >= 0 && end == len(lines) {
				end = i
			}
		}
	}
	if start < 0 {
		return sql, 1
	}
	if end < start {
		end = start
	}
	return strings.Join(lines[start:end], ""), start + 1
}

// Scan returns the destructive statements of the Up part of sql. It never
// fails: text it cannot make sense of (an unterminated string, say) is
// taken to run to the end of the input.
func Scan(sql []byte) []Finding {
	up, line := upSection(string(sql))
	return scanStatements(up, line, 0)
}

type statement struct {
	line   int
	tokens []string // upper-cased words and punctuation; quoted identifiers as `"`
	bodies []body   // dollar-quoted bodies
}

type body struct {
	text string
	line int
}

func scanStatements(src string, line, depth int) []Finding {
	var out []Finding
	for _, st := range split(src, line) {
		out = append(out, classify(st)...)
		if depth > 0 {
			// Inside a PL/pgSQL block a statement may follow BEGIN,
			// THEN, ELSE or LOOP without a semicolon between them.
			for k := 1; k < len(st.tokens); k++ {
				switch st.tokens[k-1] {
				case "BEGIN", "THEN", "ELSE", "LOOP":
					sub := st
					sub.tokens = st.tokens[k:]
					for _, fd := range classify(sub) {
						if fd.Kind != kindDelete { // already found on the whole statement
							out = append(out, fd)
						}
					}
				}
			}
		}
		if depth < 4 && len(st.tokens) > 0 && st.tokens[0] == "DO" {
			for _, b := range st.bodies {
				out = append(out, scanStatements(b.text, b.line, depth+1)...)
			}
		}
	}
	return out
}

// split lexes src into statements, dropping comments and literals.
func split(src string, line int) []statement {
	var (
		out []statement
		cur statement
	)
	cur.line = -1
	add := func(tok string) {
		if cur.line < 0 {
			cur.line = line
		}
		cur.tokens = append(cur.tokens, tok)
	}
	n := len(src)
	for i := 0; i < n; {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < n && src[i+1] == '-':
			for i < n && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && src[i+1] == '*':
			nest := 0
			for i < n {
				if src[i] == '\n' {
					line++
				}
				if src[i] == '/' && i+1 < n && src[i+1] == '*' {
					nest++
					i += 2
					continue
				}
				if src[i] == '*' && i+1 < n && src[i+1] == '/' {
					nest--
					i += 2
					if nest == 0 {
						break
					}
					continue
				}
				i++
			}
		case c == '\'':
			// E'..' strings allow backslash escapes.
			esc := len(cur.tokens) > 0 && cur.tokens[len(cur.tokens)-1] == "E" && i > 0 && (src[i-1] == 'E' || src[i-1] == 'e')
			if esc {
				cur.tokens = cur.tokens[:len(cur.tokens)-1]
			}
			i++
			for i < n {
				if src[i] == '\n' {
					line++
				}
				if esc && src[i] == '\\' {
					i += 2
					continue
				}
				if src[i] == '\'' {
					if i+1 < n && src[i+1] == '\'' {
						i += 2
						continue
					}
					i++
					break
				}
				i++
			}
			add("'")
		case c == '"':
			i++
			for i < n {
				if src[i] == '\n' {
					line++
				}
				if src[i] == '"' {
					if i+1 < n && src[i+1] == '"' {
						i += 2
						continue
					}
					i++
					break
				}
				i++
			}
			add(`"`)
		case c == '$' && dollarTag(src[i:]) != "":
			tag := dollarTag(src[i:])
			startLine := line
			i += len(tag)
			end := strings.Index(src[i:], tag)
			var text string
			if end < 0 {
				text, i = src[i:], n
			} else {
				text = src[i : i+end]
				i += end + len(tag)
			}
			line += strings.Count(text, "\n")
			add("$")
			cur.bodies = append(cur.bodies, body{text: text, line: startLine})
		case c == ';':
			if len(cur.tokens) > 0 {
				out = append(out, cur)
			}
			cur = statement{line: -1}
			i++
		case isWordStart(c):
			j := i + 1
			for j < n && isWordPart(src[j]) {
				j++
			}
			add(strings.ToUpper(src[i:j]))
			i = j
		default:
			add(string(c))
			i++
		}
	}
	if len(cur.tokens) > 0 {
		out = append(out, cur)
	}
	return out
}

// dollarTag returns the opening tag ($$ or $name$) at the start of s, or "".
func dollarTag(s string) string {
	if len(s) < 2 || s[0] != '$' {
		return ""
	}
	for j := 1; j < len(s); j++ {
		switch {
		case s[j] == '$':
			return s[:j+1]
		case isWordPart(s[j]) && !(j == 1 && s[j] >= '0' && s[j] <= '9'):
		default:
			return ""
		}
	}
	return ""
}

func isWordStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isWordPart(c byte) bool {
	return isWordStart(c) || (c >= '0' && c <= '9') || c == '$'
}

const kindDelete = "DELETE without WHERE"

// alterDropOK are the things ALTER TABLE may drop without losing data.
var alterDropOK = map[string]bool{"CONSTRAINT": true, "DEFAULT": true, "NOT": true, "IDENTITY": true, "EXPRESSION": true}

func classify(st statement) []Finding {
	t := st.tokens
	var out []Finding
	find := func(kind string) { out = append(out, Finding{Line: st.line, Kind: kind}) }
	if len(t) >= 2 && t[0] == "DROP" {
		switch t[1] {
		case "TABLE", "SCHEMA", "DATABASE", "OWNED":
			find("DROP " + t[1])
		case "FOREIGN":
			if len(t) > 2 && t[2] == "TABLE" {
				find("DROP FOREIGN TABLE")
			}
		}
	}
	if len(t) >= 1 && t[0] == "TRUNCATE" {
		find("TRUNCATE")
	}
	if len(t) >= 2 && t[0] == "ALTER" && (t[1] == "TABLE" || (t[1] == "FOREIGN" && len(t) > 2 && t[2] == "TABLE")) {
		depth := 0
		for i, tok := range t {
			switch tok {
			case "(":
				depth++
			case ")":
				depth--
			case "DROP":
				if depth != 0 || i+1 >= len(t) || alterDropOK[t[i+1]] {
					continue
				}
				find("DROP COLUMN")
			}
		}
	}
	// DELETE FROM without WHERE, also inside a CTE: the WHERE must come
	// after the DELETE at the same parenthesis depth before the clause
	// closes.
	for i, tok := range t {
		if tok == "DELETE" && i+1 < len(t) && t[i+1] == "FROM" && !hasWhere(t[i+2:]) {
			find(kindDelete)
		}
	}
	return out
}

// hasWhere reports whether tokens contain WHERE at depth 0 before a
// closing parenthesis that ends the enclosing clause.
func hasWhere(t []string) bool {
	depth := 0
	for _, tok := range t {
		switch tok {
		case "(":
			depth++
		case ")":
			if depth == 0 {
				return false
			}
			depth--
		case "WHERE":
			if depth == 0 {
				return true
			}
		}
	}
	return false
}
