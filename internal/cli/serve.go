package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/spf13/cobra"

	"lambduck/internal/handler"
)

func newServe() *cobra.Command {
	var (
		addr   string
		public bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the function over HTTP on this machine, as its Function URL would (like sam local start-api)",
		Long: `Starts a local HTTP server that turns each request into the event a Lambda
Function URL sends (method, path, query string, headers, body) and answers
with the same handler the function runs, over the data root of
LAMBDUCK_DATA: the query string is the request
(?company_id=1690&start_date=2025-04-01&end_date=2025-04-30&report=top_paths&limit=5),
or a POST body holds the JSON event. report=dashboard&format=html shows the
dashboard in a browser.

It listens on the loopback interface only (127.0.0.1:8080 by default): your
data is served without authentication, so another address needs --public.
Ctrl-C stops it.`,
		Example: `  lambduck serve
  curl 'localhost:8080/?company_id=1690&start_date=2025-04-01&end_date=2025-04-30'
  open 'http://localhost:8080/?company_id=1690&start_date=2025-04-01&end_date=2025-04-30&report=dashboard&format=html'
  curl -d '{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-30", "report": "top_paths"}' localhost:8080/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return fmt.Errorf("--addr: %w", err)
			}
			if !public && !loopback(host) {
				return fmt.Errorf("--addr %s is not a loopback address: the data would be served to the network without authentication; --public says that is meant", addr)
			}
			e, h, err := openHandler(cmd, slog.LevelInfo)
			if err != nil {
				return err
			}
			defer h.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("--addr: %w", err)
			}
			base := "http://" + ln.Addr().String() + "/"
			fmt.Fprintf(cmd.OutOrStdout(), "Serving %s on %s (Ctrl-C stops)\n  curl '%s?company_id=1690&start_date=2025-04-01&end_date=2025-04-30'\n  dashboard: %s?company_id=1690&start_date=2025-04-01&end_date=2025-04-30&report=dashboard&format=html\n",
				e.cfg.Data, base, base, base)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			srv := &http.Server{Handler: functionURL(h, e.cfg.MaxEvent), ReadHeaderTimeout: 10 * time.Second,
				BaseContext: func(net.Listener) context.Context { return ctx }}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return err
			case <-ctx.Done():
			}
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdown); err != nil {
				return err
			}
			if err := <-done; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	cmd.Flags().BoolVar(&public, "public", false, "allow an address other than loopback (the data is served without authentication)")
	return cmd
}

// loopback reports whether host names only this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// functionURL answers HTTP requests as a Lambda Function URL does: each
// becomes the URL's event (payload format 2.0) and the function's response
// becomes the HTTP response.
func functionURL(h *handler.Handler, maxEvent int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, int64(maxEvent)+1))
		if err != nil {
			http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		payload, err := json.Marshal(urlEvent(r, body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		answer, err := h.Serve(r.Context(), payload)
		resp, ok := answer.(handler.Response)
		if err != nil || !ok {
			// Lambda answers a function error through a Function URL with 502.
			http.Error(w, fmt.Sprintf("the function failed: %v", err), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		io.WriteString(w, resp.Body)
	})
}

// urlEvent is the Function URL event of an HTTP request.
func urlEvent(r *http.Request, body []byte) events.LambdaFunctionURLRequest {
	source, _, _ := net.SplitHostPort(r.RemoteAddr)
	return newURLEvent(r.Method, r.URL.Path, r.URL.RawQuery, r.Header, r.Host, source, body)
}

// newURLEvent is a Function URL event (payload format 2.0): headers in
// lower case and repeated values joined by commas, as AWS sends them; a
// body that is not UTF-8 in base64.
func newURLEvent(method, path, rawQuery string, header http.Header, host, sourceIP string, body []byte) events.LambdaFunctionURLRequest {
	headers := map[string]string{}
	for k, v := range header {
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	var query map[string]string
	if q, _ := url.ParseQuery(rawQuery); len(q) > 0 {
		query = map[string]string{}
		for k, v := range q {
			query[k] = strings.Join(v, ",")
		}
	}
	now := time.Now()
	ev := events.LambdaFunctionURLRequest{
		Version:               "2.0",
		RawPath:               path,
		RawQueryString:        rawQuery,
		Headers:               headers,
		QueryStringParameters: query,
		RequestContext: events.LambdaFunctionURLRequestContext{
			RequestID:  fmt.Sprintf("serve-%d", now.UnixNano()),
			DomainName: host,
			Time:       now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:  now.UnixMilli(),
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
				Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: sourceIP, UserAgent: header.Get("User-Agent"),
			},
		},
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return ev
}
