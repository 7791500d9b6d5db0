package nlp

import (
	"fmt"
	"strings"
	"unicode"
)

// Terms splits text into the normalized search terms the in-memory
// full-text index and the router use: lower-cased words of letters,
// digits and '&', English stop words removed, lightly stemmed
// ("invoices" -> "invoice").
func Terms(text string) []string { return tokenize(text) }

// EstimateTokens estimates how many LLM tokens text takes, without a
// tokenizer vocabulary: the larger of the number of words (runs of
// letters or digits) plus punctuation marks, and the number of bytes
// divided by four (the usual rule of thumb for English BPE vocabularies).
// It is meant for budgets, not billing: it tends to overestimate English
// prose by up to a third and is within a factor of two for most text.
func EstimateTokens(text string) int {
	return max(wordsAndPunct(text), (len(text)+3)/4)
}

// ChunkConfig configures [Chunk]. The zero value is usable.
type ChunkConfig struct {
	// MaxTokens is the token budget of a chunk, by [EstimateTokens].
	// Defaults to 256.
	MaxTokens int
	// Overlap is how many tokens of the end of a chunk are repeated at
	// the start of the next one when a chunk is cut inside a run of
	// paragraphs, so a sentence cut in two is found from both sides. It
	// must be less than half of MaxTokens. Defaults to 32.
	Overlap int
}

func (c ChunkConfig) withDefaults() ChunkConfig {
	if c.MaxTokens == 0 {
		c.MaxTokens = 256
	}
	if c.Overlap == 0 {
		c.Overlap = 32
	}
	return c
}

func (c ChunkConfig) validate() error {
	if c.MaxTokens < 16 {
		return configError("ChunkConfig.MaxTokens", "at least 16", c.MaxTokens)
	}
	if c.Overlap < 0 || c.Overlap > (c.MaxTokens-1)/2 {
		return configError("ChunkConfig.Overlap", "0 or more and less than MaxTokens/2", c.Overlap)
	}
	return nil
}

// SplitChunks splits text into chunks of at most cfg.MaxTokens estimated
// tokens. Paragraphs (separated by blank lines) are packed whole into a
// chunk while they fit; a paragraph that does not fit starts a new chunk,
// and one longer than the budget is cut between words, the next piece
// starting with the last cfg.Overlap tokens' worth of words of the
// previous one. Whitespace inside a paragraph is collapsed. Empty text
// gives no chunks.
func SplitChunks(text string, cfg *ChunkConfig) ([]string, error) {
	var c ChunkConfig
	if cfg != nil {
		c = *cfg
	}
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	paras := splitParagraphs(text)
	var out []string
	var cur []string
	// The two terms of EstimateTokens for cur joined by blank lines, kept
	// as running sums so packing stays linear in the text.
	curWP, curBytes := 0, 0
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n\n"))
			cur, curWP, curBytes = cur[:0], 0, 0
		}
	}
	for _, p := range paras {
		pWP := wordsAndPunct(p)
		if max(pWP, (len(p)+3)/4) > c.MaxTokens {
			flush()
			out = append(out, splitLong(p, c)...)
			continue
		}
		if len(cur) > 0 && max(curWP+pWP, (curBytes+2+len(p)+3)/4) > c.MaxTokens {
			flush()
		}
		if len(cur) > 0 {
			curBytes += 2
		}
		cur = append(cur, p)
		curWP += pWP
		curBytes += len(p)
	}
	flush()
	return out, nil
}

// splitParagraphs returns the non-empty paragraphs of text with their
// inner whitespace collapsed.
func splitParagraphs(text string) []string {
	var out []string
	var lines []string
	emit := func() {
		if len(lines) > 0 {
			out = append(out, strings.Join(strings.Fields(strings.Join(lines, " ")), " "))
			lines = lines[:0]
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			emit()
			continue
		}
		lines = append(lines, line)
	}
	emit()
	return out
}

// splitLong cuts a paragraph over budget between words, with overlap.
// It keeps the two terms of [EstimateTokens] as running sums so that the
// estimate of each joined chunk stays within the budget.
func splitLong(p string, c ChunkConfig) []string {
	words := strings.Fields(p)
	wp := make([]int, len(words))
	for i, w := range words {
		wp[i] = wordsAndPunct(w)
	}
	fits := func(sumWP, sumBytes int) bool {
		return max(sumWP, (sumBytes+3)/4) <= c.MaxTokens
	}
	var out []string
	start := 0
	for start < len(words) {
		end, sumWP, sumBytes := start, 0, -1
		for end < len(words) {
			nwp, nb := sumWP+wp[end], sumBytes+1+len(words[end])
			if end > start && !fits(nwp, nb) {
				break
			}
			sumWP, sumBytes = nwp, nb
			end++
		}
		out = append(out, strings.Join(words[start:end], " "))
		if end >= len(words) {
			break
		}
		// Step back over at most Overlap tokens' worth of words, always
		// moving on by at least one word.
		back, bt := end, 0
		for back > start+1 && bt+max(wp[back-1], (len(words[back-1])+4)/4) <= c.Overlap {
			back--
			bt += max(wp[back], (len(words[back])+4)/4)
		}
		start = back
	}
	return out
}

// wordsAndPunct is the first term of [EstimateTokens].
func wordsAndPunct(text string) int {
	n := 0
	in := false
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !in {
				n++
				in = true
			}
		default:
			in = false
			if !unicode.IsSpace(r) {
				n++
			}
		}
	}
	return n
}

func configError(field, want string, got any) error {
	return fmt.Errorf("%w: %s is %v, want %s", ErrInvalidConfig, field, got, want)
}
