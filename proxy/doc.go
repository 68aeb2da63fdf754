// Package proxy is Sluice's composition root: it runs a proxy that takes its
// orders through a channel, as Sōzu's library does.
//
// The caller creates a channel pair with [NewChannel], starts the proxy with
// [Run] on the proxy's end, writes [order.Request] values to the client end
// and reads one or more [order.Response] values for each, matched by id:
//
//	client, end := proxy.NewChannel(1000)
//	go proxy.Run(ctx, proxy.Config{}, end)
//	client.Requests <- order.Request{ID: "ID_ABCD", Order: order.AddCluster{...}}
//	fmt.Println(<-client.Responses)
//
// [Client.Do] is the synchronous form: it sends one order and waits for its
// final response, honouring a context.
//
// Orders are applied one at a time, in the order received, by the proxy's
// loop: each is checked against the configuration (package state), its side
// effects that can fail are performed (binding a socket), and only then is
// the configuration changed and the runtime structures derived from it
// published through atomic pointers (routing tables per listener, backend
// lists per cluster). The acknowledgement is sent after publication, so a
// caller that has read "ok" can rely on the change for its next request.
// A query sees every earlier order.
package proxy
