// The sandbox ("pause") program of the real node's Pods: it holds the Pod's namespaces and sleeps until it is
// signalled. No registry is reachable here, so the node's sandbox image is built from this program alone.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

var version = "dev"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		os.Stdout.WriteString(version + "\n")
		return
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range signals {
		if s == syscall.SIGCHLD {
			// As the first process of a shared PID namespace it inherits orphans: reap them.
			for {
				pid, _ := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 {
					break
				}
			}
			continue
		}
		return
	}
}
