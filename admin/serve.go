package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sluiceproxy/sluice/order"
)

// Codes of the answers the admin API gives itself, besides the orders'.
const (
	codeUnauthorized order.ErrorCode = "unauthorized"
	codeForbidden    order.ErrorCode = "forbidden"
	codeTooLarge     order.ErrorCode = "too_large"
)

// httpStatus maps an error answer's code to its HTTP status.
func httpStatus(c order.ErrorCode) int {
	switch c {
	case order.CodeNotFound:
		return http.StatusNotFound
	case order.CodeConflict:
		return http.StatusConflict
	case order.CodeUnavailable:
		return http.StatusServiceUnavailable
	case order.CodeFailed:
		return http.StatusInternalServerError
	case codeUnauthorized:
		return http.StatusUnauthorized
	case codeForbidden:
		return http.StatusForbidden
	case codeTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// serveRoute answers a route that sends one order.
func (s *Server) serveRoute(rt *route, w http.ResponseWriter, r *http.Request) {
	id := s.requestID(w, r)
	body, ok := s.readBody(w, r, id)
	if !ok {
		return
	}
	o, err := rt.order(r, body)
	if err != nil {
		s.answer(w, order.Response{ID: id, Status: order.StatusError, Code: order.CodeInvalid,
			Message: "invalid request: " + err.Error()})
		return
	}
	resp := s.do(r, order.Request{ID: id, Order: o})
	if rt.pick != nil && resp.Status == order.StatusOK && resp.Content != nil && !rt.pick(r, resp.Content) {
		resp = order.Response{ID: id, Status: order.StatusError, Code: order.CodeNotFound,
			Message: notFoundMessage(rt, r)}
	}
	s.answer(w, resp)
}

// serveOrder answers POST /api/orders: a request as the command socket
// takes it.
func (s *Server) serveOrder(w http.ResponseWriter, r *http.Request) {
	id := s.requestID(w, r)
	body, ok := s.readBody(w, r, id)
	if !ok {
		return
	}
	var req order.Request
	if err := json.Unmarshal(body, &req); err != nil {
		var probe struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(body, &probe)
		s.answer(w, order.Response{ID: probe.ID, Status: order.StatusError, Code: order.CodeInvalid,
			Message: "invalid request: " + order.DescribeDecodeError(err)})
		return
	}
	if _, stream := req.Order.(order.SubscribeEvents); stream {
		s.answer(w, order.Response{ID: req.ID, Status: order.StatusError, Code: order.CodeInvalid,
			Message: "kind: subscribe_events is a stream: GET /api/events"})
		return
	}
	if req.ID == "" {
		req.ID = id
	}
	s.answer(w, s.do(r, req))
}

// do sends one order to the handler and returns its final answer
// (processing answers are dropped). An upgrade naming a binary is
// refused: over HTTP only the daemon's own binary is started.
func (s *Server) do(r *http.Request, req order.Request) order.Response {
	if u, ok := req.Order.(order.Upgrade); ok && u.Binary != "" {
		return order.Response{ID: req.ID, Status: order.StatusError, Code: order.CodeInvalid,
			Message: "binary: not taken over the admin API, which starts the daemon's own binary; name another through the command socket"}
	}
	resp := s.cfg.Handler(r.Context(), req, func(string, *order.Content) {})
	resp.ID = req.ID
	if resp.Status == order.StatusError && resp.Code == "" {
		resp.Code = order.CodeInvalid
	}
	return resp
}

// answer writes an order's answer as JSON, with the status its code
// maps to.
func (s *Server) answer(w http.ResponseWriter, resp order.Response) {
	status := http.StatusOK
	if resp.Status != order.StatusOK {
		status = httpStatus(resp.Code)
	}
	writeJSON(w, status, resp)
}

// writeError answers an error the admin API found itself.
func writeError(w http.ResponseWriter, status int, code order.ErrorCode, msg string) {
	writeJSON(w, status, order.Response{Status: order.StatusError, Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(order.Response{Status: order.StatusError, Code: order.CodeFailed,
			Message: "encoding the answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// requestID is the id the order goes with: the client's X-Request-Id
// when it is a short token, else admin-N. It is echoed in the answer's
// X-Request-Id and id, and the proxy logs the order with it.
func (s *Server) requestID(w http.ResponseWriter, r *http.Request) string {
	id := r.Header.Get("X-Request-Id")
	if !validID(id) {
		id = "admin-" + strconv.FormatUint(s.seq.Add(1), 10)
	}
	w.Header().Set("X-Request-Id", id)
	return id
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// readBody reads a request body of at most MaxBodyBytes; a longer one is
// answered 413.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, id string) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.answer(w, order.Response{ID: id, Status: order.StatusError, Code: codeTooLarge,
				Message: fmt.Sprintf("request body longer than %d bytes", s.cfg.MaxBodyBytes)})
			return nil, false
		}
		s.answer(w, order.Response{ID: id, Status: order.StatusError, Code: order.CodeInvalid,
			Message: "reading the request body: " + err.Error()})
		return nil, false
	}
	return b, true
}

// order builds the route's order from the request: the body's object,
// the path parameters and the query parameters become the order's JSON
// fields, decoded by order.Request as the command socket decodes a line
// (unknown fields and wrong types refused, the order normalized).
func (rt *route) order(r *http.Request, body []byte) (order.Order, error) {
	fields := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(body)) > 0 {
		if !rt.body {
			return nil, errors.New("this route takes no body")
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&fields); err != nil {
			return nil, fmt.Errorf("the body is not a JSON object: %s", order.DescribeDecodeError(err))
		}
		if dec.More() {
			return nil, errors.New("the body holds more than one JSON value")
		}
		if fields == nil {
			return nil, errors.New("the body is not a JSON object but null")
		}
	}
	query := r.URL.Query()
	known := map[string]bool{}
	for _, p := range rt.params {
		if strings.Contains(rt.path, "{"+p.name+"}") {
			if p.field == "" {
				continue // a get's key: picked from the answer
			}
			v, _ := json.Marshal(r.PathValue(p.name))
			if old, ok := fields[p.field]; ok && !jsonEqual(old, v) {
				return nil, fmt.Errorf("%s: the path says %s, the body %s", p.field, v, old)
			}
			fields[p.field] = v
			continue
		}
		known[p.name] = true
		vals, ok := query[p.name]
		if !ok || p.field == "" {
			continue
		}
		if len(vals) > 1 {
			return nil, fmt.Errorf("query parameter %s given %d times", p.name, len(vals))
		}
		if p.bool {
			b, err := strconv.ParseBool(vals[0])
			if err != nil {
				return nil, fmt.Errorf("query parameter %s: %q is not true or false", p.name, vals[0])
			}
			fields[p.field], _ = json.Marshal(b)
		} else if vals[0] != "" {
			fields[p.field], _ = json.Marshal(vals[0])
		}
	}
	for name := range query {
		if !known[name] {
			return nil, fmt.Errorf("unknown query parameter %q", name)
		}
	}
	o, _ := json.Marshal(fields)
	wire, _ := json.Marshal(struct {
		Kind  order.Kind      `json:"kind"`
		Order json.RawMessage `json:"order"`
	}{rt.kind, o})
	var req order.Request
	if err := json.Unmarshal(wire, &req); err != nil {
		return nil, errors.New(order.DescribeDecodeError(err))
	}
	return req.Order, nil
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && fmt.Sprint(x) == fmt.Sprint(y)
}
