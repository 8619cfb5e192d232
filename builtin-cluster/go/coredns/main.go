// Command coredns is CoreDNS with only the plugins the test cluster's DNS needs:
// it answers cluster.local names from the API server (the kubernetes plugin).
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/template"
	_ "github.com/coredns/coredns/plugin/whoami"
)

// Same relative order as CoreDNS's own plugin.cfg.
var directives = []string{
	"reload", "bind", "ready", "health", "errors", "log", "loadbalance", "cache",
	"template", "hosts", "kubernetes", "whoami",
}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
