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
// loop. Package state decides: State.Apply validates the order and returns
// the next configuration with its effects, as data. The proxy executes them
// (apply.go): the one effect that can fail, opening a listening socket,
// first; then it adopts the new configuration and publishes the runtime
// structures through atomic pointers (settings, routing tables per
// listener, backend lists per cluster, certificate indexes). An order
// answered with an error changed nothing. The acknowledgement is sent after
// publication, so a caller that has read "ok" can rely on the change for
// its next request. A query sees every earlier order.
package proxy
