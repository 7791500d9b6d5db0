// Package data ships the demo tenant's sample sources (see README.md):
// CSV exports of a CRM, a billing tool and a legacy ERP, one directory
// per source system. hostd onboards them on first start and the examples
// read them; FS embeds them so that a built binary has them too.
package data

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FS holds the sample files, under crm/, billing/ and legacy/.
//
//go:embed crm/*.csv billing/*.csv legacy/*.csv
var FS embed.FS

// Source is one demo source: a directory of FS read by one connection of
// kind "file".
type Source struct {
	// ID is the connection id and the directory under FS ("crm").
	ID string
	// System is the source system the connector reports ("crm").
	System string
	// Name is a label for people.
	Name string
}

// Sources lists the demo sources in the order they are onboarded.
var Sources = []Source{
	{ID: "crm", System: "crm", Name: "CRM export (accounts, contacts, opportunities)"},
	{ID: "billing", System: "billing", Name: "Billing tool (customers, invoices)"},
	{ID: "legacy", System: "legacy", Name: "Legacy ERP customer export"},
}

// WriteTo copies the sample files into dir (crm/, billing/, legacy/),
// creating directories as needed and replacing files of the same name.
// Connections then read dir/<Source.ID>.
func WriteTo(dir string) error {
	return fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := FS.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return fmt.Errorf("data: write %s: %w", dst, err)
		}
		return nil
	})
}
