// Package filesource is the connector for files: a directory (or one
// file) of CSV, TSV and JSON Lines, plain or gzip-compressed. It
// registers itself as kind "file" in [aam.DefaultRegistry]:
//
//	import _ "github.com/autonomos/autonomos/aam/connectors/filesource"
//
//	c, err := aam.Open("file", json.RawMessage(`{"path": "/data/exports", "objects": {"opportunities": "opps-*.csv.gz"}}`))
//
// or, in Go, [New](path, &[Config]{...}).
//
// # Objects and files
//
// By default every file is an object named by its path under the
// directory without its extensions ("crm/accounts.csv.gz" is object
// "crm/accounts"); [Config.Objects] groups files by glob pattern
// instead, so that daily exports form one object. An object's files are
// read in the order of their paths. Hidden files and directories,
// symbolic links and files of other extensions are ignored. Extensions: .csv and .txt
// (delimiter sniffed), .tsv and .tab, .jsonl and .ndjson, each with an
// optional .gz; [Config.Format] forces one format.
//
// # Formats
//
// CSV follows RFC 4180 with the usual liberties: a UTF-8 byte order mark
// is dropped, the delimiter is sniffed among comma, semicolon, tab and
// pipe from the first lines (the one found the same number of times on
// every line), lines end in LF or CRLF, quoted cells may hold
// delimiters, doubled quotes and line breaks, and blank lines are
// skipped. The first record is the header: names are trimmed, an empty
// one becomes "column_N", a repeated one gets "_2". JSON Lines holds one
// JSON object per line; numbers stay json.Number, so amounts keep their
// digits.
//
// CSV records come as rows ([aam.Record.Row] with [aam.Batch.Header]),
// never as maps: a batch's cells share one string and one slice, so a
// row costs no allocation of its own, and
// canonical.Normalizer.NormalizeRow takes header and row as they are.
//
// # Row errors
//
// A record that cannot be read becomes an [*aam.RowError] naming the
// file and the line where it starts, and the read goes on:
//
//   - a row with more or fewer cells than the header: [aam.ErrRaggedRow];
//   - a cell (or JSON line) that is not valid UTF-8: [aam.ErrInvalidEncoding],
//     naming the column;
//   - a bare quote inside an unquoted cell (unless [Config.LazyQuotes]), a
//     character after a closing quote, a quote never closed, a line that
//     is not a JSON object, a record longer than [Config.MaxRecordBytes]:
//     [aam.ErrMalformedRecord].
//
// After a broken quote the reader resumes at the line after the one
// where the bad record started, and a quoted cell may span at most
// [Config.MaxRecordLines] lines, so one stray quote costs a few rows,
// not the rest of the file. Memory is bounded by the batch size and
// MaxRecordBytes whatever the size of the file.
//
// # Cursors
//
// A cursor names the file, the byte offset after the last record read
// (in the decompressed content for .gz files) and the line there. A read
// resumed from it opens that file, re-reads its header, seeks to the
// offset (a compressed file is decompressed up to it again) and goes on
// through the files after it. A plain file that grew since is read from
// where it stopped, so appending to a file works; a file now shorter
// than the offset was replaced and is read again from the start (with a
// warning); a compressed file read to its end is marked done and
// skipped. Files are taken in path order, so a file that appears later
// with a path before the cursor's is not read: name exports so that new
// ones sort last (by date, say).
//
// # Discover
//
// Discover infers each object's schema with drift's [drift.Inferrer]
// from its first [Config.SampleRows] records, across its files; CSV
// header columns without values are nullable strings.
//
// # Performance
//
// The reader costs about 1µs of CPU per 15-column row and allocates one
// string and one cell slice per batch, not per row (BenchmarkCSVRead).
// BenchmarkCSV100k and BenchmarkCSV1M measure issue 5's path, read ->
// canonical NormalizeRow -> in-process stream publish, with the cursor
// taken after each published batch; BenchmarkCSVStages splits a row's
// CPU time between the stages. Rerun them with
//
//	go test ./aam/connectors/filesource -run '^$' -bench BenchmarkCSV -benchtime 1x -benchmem
//
// The live heap stays the same for 100k and 1M rows (peak-heap-MB), and
// TestReadMemoryBounded reads 64 MB files in about 12 MB of heap.
//
// # Security
//
// Inside a directory, symbolic links are not followed, so a read stays
// under it. The path itself is trusted: a server that lets tenants
// configure connections must confine it to the tenant's own upload
// directory before opening the connector.
//
// # Concurrency
//
// A [Source] is safe for concurrent use and holds no open file between
// calls: each Read opens its files and closes them when the iteration
// ends, however it ends.
package filesource
