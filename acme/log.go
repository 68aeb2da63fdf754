package acme

import (
	"context"
	"log/slog"

	legolog "github.com/go-acme/lego/v5/log"
)

// setLegoLogger sends the lego library's logs to l, its information
// lines (one per step of every attempt) at debug level. lego's logger is
// global: the last Manager made sets it.
func setLegoLogger(l *slog.Logger) {
	legolog.SetDefault(slog.New(quieter{l.Handler()}).With("component", "lego"))
}

// quieter lowers Info records to Debug.
type quieter struct{ h slog.Handler }

func (q quieter) Enabled(ctx context.Context, lv slog.Level) bool {
	if lv == slog.LevelInfo {
		lv = slog.LevelDebug
	}
	return q.h.Enabled(ctx, lv)
}

func (q quieter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo {
		r.Level = slog.LevelDebug
	}
	return q.h.Handle(ctx, r)
}

func (q quieter) WithAttrs(as []slog.Attr) slog.Handler { return quieter{q.h.WithAttrs(as)} }
func (q quieter) WithGroup(n string) slog.Handler       { return quieter{q.h.WithGroup(n)} }
