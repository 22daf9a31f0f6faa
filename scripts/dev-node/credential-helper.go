// A Docker credential helper (docker-credential-berth-token) that hands a client the token a pod has in a file:
// its projected ServiceAccount token. A client such as crane runs `docker-credential-berth-token get` for each
// registry its docker config's credHelpers maps to "berth-token", and logs in with the current content of the
// file as the password, so the kubelet's token rotation needs nothing from the pod.
//
// Environment: REGISTRY_TOKEN_FILE (default /var/run/secrets/registry/token), REGISTRY_USERNAME (default
// "serviceaccount"; the registry ignores it for Kubernetes tokens). Only `get` is supported; `store` and `erase`
// fail, as the token is the kubelet's to change.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func main() {
	if len(os.Args) != 2 || os.Args[1] != "get" {
		fmt.Fprintln(os.Stderr, "usage: docker-credential-berth-token get (the server URL on stdin)")
		os.Exit(2)
	}
	server, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	token, err := os.ReadFile(env("REGISTRY_TOKEN_FILE", "/var/run/secrets/registry/token"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "reading the token:", err)
		os.Exit(1)
	}
	out := map[string]string{
		"ServerURL": strings.TrimSpace(server),
		"Username":  env("REGISTRY_USERNAME", "serviceaccount"),
		"Secret":    strings.TrimSpace(string(token)),
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
