// probe: the one static binary of the dev node's local images (scripts/dev-cluster-image.sh).
//
//	probe                    pause: the pod sandbox (waits for SIGTERM/SIGINT, reaps children)
//	probe serve PORT TEXT    answers every HTTP request with TEXT
//	probe get URL            prints the body of an HTTP GET; fails on a non-2xx status
//	probe write FILE TEXT    writes TEXT to FILE, reads it back and prints it
//	probe api                asks the API server who it is (SelfSubjectReview) with the pod's service account
//	probe -p DIR -a create|delete ...   local-path-provisioner's helper (its setupCommand/teardownCommand)
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const saDir = "/var/run/secrets/kubernetes.io/serviceaccount"

func main() {
	args := os.Args[1:]
	if len(args) == 0 || args[0] == "pause" {
		pause()
		return
	}
	var err error
	switch {
	case args[0] == "serve" && len(args) == 3:
		err = serve(args[1], args[2])
	case args[0] == "get" && len(args) == 2:
		err = get(args[1])
	case args[0] == "write" && len(args) == 3:
		err = write(args[1], args[2])
	case args[0] == "api" && len(args) == 1:
		err = api()
	case args[0] == "-p":
		err = localPathHelper(args)
	default:
		err = fmt.Errorf("usage: probe [pause | serve PORT TEXT | get URL | write FILE TEXT | api | -p DIR -a ACTION]")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

func pause() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			return
		}
		for {
			pid, _ := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 {
				break
			}
		}
	}
}

func serve(port, text string) error {
	go func() {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		<-sigs
		os.Exit(0)
	}()
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	fmt.Println("serving on", ln.Addr())
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		host, _ := os.Hostname()
		fmt.Fprintf(w, "%s from %s\n", text, host)
	}))
}

func get(url string) error {
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	fmt.Print(string(body))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return nil
}

func write(file, text string) error {
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return err
	}
	back, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s: %s\n", file, back)
	return nil
}

// api posts a SelfSubjectReview to the API server named by the env vars the kubelet injects for the
// `kubernetes` Service, authenticated with the pod's service account token, and prints the answer.
func api() error {
	token, err := os.ReadFile(saDir + "/token")
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(saDir + "/ca.crt")
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return fmt.Errorf("no certificate in %s/ca.crt", saDir)
	}
	host := net.JoinHostPort(os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT"))
	url := "https://" + host + "/apis/authentication.k8s.io/v1/selfsubjectreviews"
	body := `{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	fmt.Printf("POST %s: %s\n%s\n", url, res.Status, answer)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("status %s", res.Status)
	}
	return nil
}

// localPathHelper does what local-path-provisioner's default setup/teardown scripts do with a shell:
// `mkdir -m 0777 -p DIR` on create, `rm -rf DIR` on delete.
func localPathHelper(args []string) error {
	var dir, action string
	for i := 0; i+1 < len(args); i += 2 {
		switch args[i] {
		case "-p":
			dir = args[i+1]
		case "-a":
			action = args[i+1]
		}
	}
	if dir == "" || dir == "/" {
		return fmt.Errorf("refusing volume dir %q", dir)
	}
	switch action {
	case "create":
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return err
		}
		return os.Chmod(dir, 0o777)
	case "delete":
		return os.RemoveAll(dir)
	}
	return fmt.Errorf("unknown action %q", action)
}
