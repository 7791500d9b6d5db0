package aam

import (
	"context"
	"iter"
)

// UnimplementedConnector implements [Connector] with methods that return
// [ErrUnsupported] (Close returns nil). Embed it in a connector so that it
// keeps compiling when optional methods are added to the interfaces of
// this package; override every method the connector supports. Its zero
// value is ready to use.
type UnimplementedConnector struct{}

var _ Connector = UnimplementedConnector{}

// Check returns [ErrUnsupported].
func (UnimplementedConnector) Check(context.Context) error { return ErrUnsupported }

// Discover returns [ErrUnsupported].
func (UnimplementedConnector) Discover(context.Context) ([]ObjectInfo, error) {
	return nil, ErrUnsupported
}

// Read yields [ErrUnsupported].
func (UnimplementedConnector) Read(context.Context, string, Cursor) iter.Seq2[*Batch, error] {
	return func(yield func(*Batch, error) bool) { yield(nil, ErrUnsupported) }
}

// Close returns nil.
func (UnimplementedConnector) Close() error { return nil }
