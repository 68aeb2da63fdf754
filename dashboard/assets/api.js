// The admin API, same origin only: requests under /api/ with the token
// (kept in sessionStorage, sent as a bearer token), and the two streams
// (EventSource sends no header: the token is traded for a session cookie
// first, POST /api/session).

const tokenKey = "sluice-admin-token";

export function token() {
  return sessionStorage.getItem(tokenKey) || "";
}

export function setToken(t) {
  if (t) sessionStorage.setItem(tokenKey, t);
  else sessionStorage.removeItem(tokenKey);
}

// ApiError carries the answer of a request that failed: its HTTP status
// and the API's message and code.
export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code || "";
  }
}

// call sends one request and returns the answer's content ({} when it has
// none); an error answer throws an ApiError.
export async function call(method, path, body) {
  const headers = { "Accept": "application/json" };
  const t = token();
  if (t) headers["Authorization"] = "Bearer " + t;
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, "the proxy does not answer (" + e.message + ")", "unreachable");
  }
  let answer = {};
  try {
    answer = await resp.json();
  } catch (e) {
    throw new ApiError(resp.status, "not a JSON answer (HTTP " + resp.status + ")", "");
  }
  if (!resp.ok || answer.status !== "ok") {
    throw new ApiError(resp.status, answer.message || "HTTP " + resp.status, answer.code);
  }
  return answer.content || {};
}

// openSession sets the session cookie the streams need; with no token
// it clears it.
export async function openSession() {
  const t = token();
  if (!t) {
    await call("DELETE", "/api/session").catch(() => {});
    return;
  }
  await call("POST", "/api/session", { token: t });
}

// stream opens an EventSource on path and calls onData with each
// message's JSON; onState gets "open", "error" or "end". It returns the
// EventSource, to close.
export function stream(path, onData, onState) {
  const es = new EventSource(path);
  es.onopen = () => onState("open");
  es.onerror = () => onState(es.readyState === EventSource.CLOSED ? "closed" : "error");
  es.onmessage = (m) => {
    let v;
    try {
      v = JSON.parse(m.data);
    } catch (e) {
      return;
    }
    onData(v);
  };
  es.addEventListener("end", () => {
    onState("end");
    es.close();
  });
  return es;
}
