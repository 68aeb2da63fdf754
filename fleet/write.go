package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrConflict is a write refused because the prefix changed since the
// revision it was based on: another operator wrote in between.
var ErrConflict = errors.New("the fleet's configuration changed since the revision this write is based on")

// Write is a change of the fleet's keys.
type Write struct {
	// Put are keys to write with their values; Delete keys to remove.
	Put    map[string][]byte
	Delete []string
	// Revision is the revision the change is based on: the write is
	// refused (ErrConflict) if any key under the prefix changed after it,
	// or a key was deleted with sluice fleet. 0: the revision the write
	// reads first (so only a change in between is a conflict).
	Revision int64
}

// Result is what a write did.
type Result struct {
	Revision      int64 // the revision it made (or, unchanged, the one read)
	Puts, Deletes int   // the keys it changed
	Unchanged     bool  // nothing to write
	BasedOn       int64 // the revision it compared against
}

// Commit writes w under l in one transaction, after checking that the
// configuration it leads to builds (Build): a bad value is refused here
// before any instance sees it. Keys whose value is already the one asked
// are not written; PREFIX/meta/written is, with who wrote.
func Commit(ctx context.Context, cli *clientv3.Client, l Layout, w Write) (Result, error) {
	cur, err := cli.Get(ctx, l.State(), clientv3.WithPrefix())
	if err != nil {
		return Result{}, fmt.Errorf("read %s: %w", l.State(), err)
	}
	base := w.Revision
	if base == 0 {
		base = cur.Header.Revision
	}
	next := make(map[string][]byte, len(cur.Kvs)+len(w.Put))
	for _, kv := range cur.Kvs {
		next[string(kv.Key)] = kv.Value
	}
	var ops []clientv3.Op
	res := Result{BasedOn: base}
	for _, k := range slices.Sorted(maps.Keys(w.Put)) {
		if _, _, err := l.Parse(k); err != nil {
			return Result{}, err
		}
		if old, ok := next[k]; ok && bytes.Equal(old, w.Put[k]) {
			continue
		}
		next[k] = w.Put[k]
		ops = append(ops, clientv3.OpPut(k, string(w.Put[k])))
		res.Puts++
	}
	for _, k := range w.Delete {
		if _, ok := next[k]; !ok {
			continue
		}
		delete(next, k)
		ops = append(ops, clientv3.OpDelete(k))
		res.Deletes++
	}
	if _, err := Build(l, next); err != nil {
		return Result{}, fmt.Errorf("the fleet would refuse it: %w", err)
	}
	if len(ops) == 0 {
		res.Revision, res.Unchanged = cur.Header.Revision, true
		return res, nil
	}
	host, _ := os.Hostname()
	who, _ := json.Marshal(map[string]any{"by": fmt.Sprintf("%s pid %d", host, os.Getpid()),
		"at": time.Now().UTC().Format(time.RFC3339), "puts": res.Puts, "deletes": res.Deletes})
	ops = append(ops, clientv3.OpPut(l.Written(), string(who)))
	resp, err := cli.Txn(ctx).If(
		clientv3.Compare(clientv3.ModRevision(l.State()).WithPrefix(), "<", base+1),
		clientv3.Compare(clientv3.ModRevision(l.Written()), "<", base+1),
	).Then(ops...).Commit()
	if err != nil {
		return Result{}, fmt.Errorf("etcd transaction of %d operations: %w", len(ops), err)
	}
	if !resp.Succeeded {
		return Result{}, fmt.Errorf("%w (%d): read again and retry", ErrConflict, base)
	}
	res.Revision = resp.Header.Revision
	return res, nil
}

// Replace returns the write that makes the keys under l exactly kvs:
// every other key under the prefix is deleted (sluice fleet push).
func Replace(ctx context.Context, cli *clientv3.Client, l Layout, kvs map[string][]byte, revision int64) (Write, error) {
	cur, err := cli.Get(ctx, l.State(), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return Write{}, fmt.Errorf("read %s: %w", l.State(), err)
	}
	w := Write{Put: kvs, Revision: revision}
	if w.Revision == 0 {
		w.Revision = cur.Header.Revision
	}
	for _, kv := range cur.Kvs {
		if _, keep := kvs[string(kv.Key)]; !keep {
			w.Delete = append(w.Delete, string(kv.Key))
		}
	}
	return w, nil
}
