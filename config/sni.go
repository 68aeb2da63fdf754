package config

import "slices"

// tcpRefusedKeys are the frontend keys refused on a tcp listener: the
// http-only keys but hostname, a tcp frontend's server name (SNI) match.
var tcpRefusedKeys = slices.DeleteFunc(slices.Clone(httpOnlyKeys), func(k string) bool { return k == "hostname" })
