package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Browser is a headless Chromium driven through chromedriver (WebDriver),
// for tests that use a page as a person would: pick from a menu, click,
// read what is shown.
type Browser struct {
	t       testing.TB
	session string // base URL of the WebDriver session
}

// browserHint says what to install for the browser tests.
const browserHint = "browser tests run GraphiQL in headless Chromium; install it with apt-get install chromium chromium-driver (or set CHROMIUM and CHROMEDRIVER)"

// StartBrowser starts chromedriver and a headless Chromium session;
// t.Cleanup ends both. CHROMIUM and CHROMEDRIVER name the binaries
// (default: chromium and chromedriver from PATH). It skips t when either
// is missing, or fails it under TENANTGRAPH_REQUIRE_SERVICES=1.
func StartBrowser(t testing.TB) *Browser {
	t.Helper()
	chromium := ChromiumPath(t)
	driver := os.Getenv("CHROMEDRIVER")
	if driver == "" {
		driver = "chromedriver"
	}
	driver, err := exec.LookPath(driver)
	if err != nil {
		unavailable(t, "chromedriver", "not installed", browserHint)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var out bytes.Buffer
	cmd := exec.Command(driver, "--port="+strconv.Itoa(port), "--allowed-ips=127.0.0.1")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var status struct {
			Value struct{ Ready bool }
		}
		if err := call(http.MethodGet, base+"/status", nil, &status); err == nil && status.Value.Ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromedriver did not start: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
	var created struct {
		Value struct {
			SessionID string `json:"sessionId"`
		}
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromium,
			"args": []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--no-first-run", "--disable-background-networking", "--disable-component-update",
				"--disable-sync", "--window-size=1280,900", "--user-data-dir=" + t.TempDir()},
		},
	}}}
	if err := call(http.MethodPost, base+"/session", caps, &created); err != nil {
		t.Fatalf("start a Chromium session: %v\n%s", err, out.String())
	}
	b := &Browser{t: t, session: base + "/session/" + created.Value.SessionID}
	t.Cleanup(func() { call(http.MethodDelete, b.session, nil, nil) })
	return b
}

// ChromiumPath returns the path of the Chromium binary (CHROMIUM, default
// chromium from PATH). It skips t when there is none, or fails it under
// TENANTGRAPH_REQUIRE_SERVICES=1.
func ChromiumPath(t testing.TB) string {
	t.Helper()
	name := os.Getenv("CHROMIUM")
	if name == "" {
		name = "chromium"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		unavailable(t, "chromium", "not installed", browserHint)
	}
	return path
}

// Open loads url in the browser and waits for the page's load event.
func (b *Browser) Open(url string) {
	b.t.Helper()
	if err := call(http.MethodPost, b.session+"/url", map[string]string{"url": url}, nil); err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
}

// Eval runs script, the body of a function called with args, in the page,
// and decodes what it returns into result (if not nil).
func (b *Browser) Eval(result any, script string, args ...any) {
	b.t.Helper()
	if args == nil {
		args = []any{}
	}
	var resp struct{ Value json.RawMessage }
	if err := call(http.MethodPost, b.session+"/execute/sync", map[string]any{"script": script, "args": args}, &resp); err != nil {
		b.t.Fatalf("script failed: %v\n%s", err, script)
	}
	if result != nil {
		if err := json.Unmarshal(resp.Value, result); err != nil {
			b.t.Fatalf("script result %s: %v", resp.Value, err)
		}
	}
}

// WaitFor evaluates script (as Eval does) until it returns true, and fails
// t, naming what, if it does not within timeout.
func (b *Browser) WaitFor(timeout time.Duration, what, script string, args ...any) {
	b.t.Helper()
	Eventually(b.t, timeout, func() bool {
		var ok bool
		b.Eval(&ok, script, args...)
		return ok
	}, "%s", what)
}

// call sends one WebDriver command and decodes its answer into out.
func call(method, url string, in, out any) error {
	var body bytes.Buffer
	if in != nil {
		if err := json.NewEncoder(&body).Encode(in); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw := new(bytes.Buffer)
	raw.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, raw.String())
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw.Bytes(), out)
}
