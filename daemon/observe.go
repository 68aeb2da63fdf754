package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/tracing"
)

// observers are what watches the proxy from outside: the metrics registry
// with its exports (a Prometheus endpoint, a statsd sender), the access
// log and the tracer. The daemon owns them: it starts them before the
// proxy and closes them after it, so the last spans and lines go out.
type observers struct {
	log       *slog.Logger
	metrics   *metrics.Registry // nil when [metrics] enabled = false
	accessLog *accesslog.Logger // nil when access_log = "off"
	http      *http.Server
	// prometheus serves the registry's Prometheus text (the endpoint's
	// and the admin API's); nil when metrics are off.
	prometheus http.Handler
	socks      *listener.Sockets
	promLn     *net.TCPListener // the Prometheus endpoint's socket
	statsd     *metrics.Statsd
	tracer     *tracing.Tracer // nil without [tracing]
	wg         sync.WaitGroup
}

// tracerFlush bounds the export of the spans left at shutdown.
const tracerFlush = 5 * time.Second

// startObservers opens the access log and the metrics exports; the
// Prometheus endpoint's socket comes from socks, so that an upgrade hands
// it over with the proxy's.
func startObservers(cfg *config.Config, log *slog.Logger, socks *listener.Sockets) (*observers, error) {
	o := &observers{log: log, socks: socks}
	if cfg.AccessLog != "off" {
		al, err := accesslog.New(accesslog.Config{Target: cfg.AccessLog, Format: cfg.AccessLogFormat,
			OnError: func(err error) { log.Error("access log: lines are lost", "target", cfg.AccessLog, "error", err) }})
		if err != nil {
			return nil, fmt.Errorf("access log: %w", err)
		}
		o.accessLog = al
	}
	if tc := cfg.Tracing; tc != nil {
		var failing atomic.Bool // the first failed export is logged; the failed count tells the rest
		tr, err := tracing.New(*tc, func(err error) {
			if !failing.Swap(true) {
				log.Error("tracing: spans could not be exported", "endpoint", tc.Endpoint, "error", err)
			}
		})
		if err != nil {
			o.close()
			return nil, fmt.Errorf("tracing: %w", err)
		}
		o.tracer = tr
		log.Info("tracing", "endpoint", tc.Endpoint, "protocol", cmp.Or(tc.Protocol, tracing.ProtocolHTTP), "ratio", tc.Ratio)
	}
	if !cfg.Metrics.Enabled {
		return o, nil
	}
	o.metrics = metrics.NewRegistry()
	if tr := o.tracer; tr != nil {
		o.metrics.SetSpans(func() metrics.Spans {
			st := tr.Stats()
			return metrics.Spans{Exported: st.Exported, Dropped: st.Dropped, Failed: st.Failed}
		})
	}
	if al := o.accessLog; al != nil {
		o.metrics.SetAccessLog(func() metrics.AccessLogLines {
			st := al.Stats()
			return metrics.AccessLogLines{Written: st.Written, Dropped: st.Dropped, Failed: st.Failed}
		})
	}
	h, err := o.metrics.Handler()
	if err != nil {
		o.close()
		return nil, fmt.Errorf("metrics: %w", err)
	}
	o.prometheus = h
	if addr := cfg.Metrics.PrometheusAddress; addr != "" {
		ln, err := socks.Listen(addr)
		if err != nil {
			o.close()
			return nil, fmt.Errorf("metrics: prometheus_address: %w", err)
		}
		o.promLn = ln
		mux := http.NewServeMux()
		mux.Handle("/metrics", h)
		o.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			if err := o.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics endpoint stopped", "address", addr, "error", err)
			}
		}()
		log.Info("serving metrics", "address", ln.Addr().String(), "path", "/metrics")
	}
	if addr := cfg.Metrics.StatsdAddress; addr != "" {
		sd, err := metrics.NewStatsd(o.metrics, metrics.StatsdConfig{Address: addr})
		if err != nil {
			o.close()
			return nil, fmt.Errorf("metrics: statsd_address: %w", err)
		}
		o.statsd = sd
	}
	return o, nil
}

// reopen reopens a file access log (after log rotation).
func (o *observers) reopen() {
	if o.accessLog == nil {
		return
	}
	if err := o.accessLog.Reopen(); err != nil {
		o.log.Error("access log: reopen failed; lines go to the old file", "error", err)
		return
	}
	o.log.Info("access log reopened")
}

// close stops the exports and flushes the access log.
func (o *observers) close() {
	if o.http != nil {
		o.socks.Forget(o.promLn)
		o.http.Close()
	}
	o.wg.Wait()
	if o.statsd != nil {
		o.statsd.Close()
	}
	if tr := o.tracer; tr != nil {
		ctx, cancel := context.WithTimeout(context.Background(), tracerFlush)
		if err := tr.Shutdown(ctx); err != nil {
			o.log.Warn("tracing: the last spans were not all exported", "error", err)
		}
		cancel()
		if st := tr.Stats(); st.Dropped > 0 || st.Failed > 0 {
			o.log.Warn("spans lost", "dropped", st.Dropped, "failed", st.Failed, "exported", st.Exported)
		}
	}
	if o.accessLog != nil {
		if err := o.accessLog.Close(); err != nil {
			o.log.Warn("access log: closing", "error", err)
		}
		if st := o.accessLog.Stats(); st.Dropped > 0 || st.Failed > 0 {
			o.log.Warn("access log lines lost", "dropped", st.Dropped, "failed", st.Failed)
		}
	}
}
