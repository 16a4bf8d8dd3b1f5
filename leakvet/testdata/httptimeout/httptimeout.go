// Package httptimeout holds goroutines started in a loop that make HTTP
// requests with no timeout, and look-alikes that are fine.
package httptimeout

import (
	"context"
	"log"
	"net/http"
	"strings"
	"time"
)

// poll checks url on every tick until ctx ends.
func poll(ctx context.Context, url string, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			go func() {
				resp, err := http.Get(url) // want `a goroutine started on every iteration of the loop on line 15 calls http.Get, and http.DefaultClient has no timeout`
				if err != nil {
					log.Printf("poll %s: %v", url, err)
					return
				}
				resp.Body.Close()
			}()
		}
	}
}

// ping hits url n times, a tick apart, through a client it made.
func ping(url string, n int, every time.Duration) {
	client := &http.Client{} // like http.DefaultClient: no timeout
	tick := time.NewTicker(every)
	defer tick.Stop()
	for range n {
		<-tick.C
		go func() {
			resp, err := client.Get(url) // want `calls client.Get, and the http.Client made on line 34 has no timeout`
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
}

// report posts each event as it comes.
func report(events <-chan string, url string) {
	var c http.Client
	for e := range events {
		go func() {
			resp, err := c.Post(url, "text/plain", strings.NewReader(e)) // want `calls c.Post, and the http.Client made on line 50 has no timeout`
			if err != nil {
				return
			}
			resp.Body.Close()
		}()
	}
}

// headAll checks that each URL answers.
func headAll(urls []string) {
	for _, u := range urls {
		go func() {
			req, err := http.NewRequest(http.MethodHead, u, nil)
			if err != nil {
				return
			}
			resp, err := http.DefaultClient.Do(req) // want `calls http.DefaultClient.Do, and http.DefaultClient has no timeout`
			if err != nil {
				log.Print(err)
				return
			}
			log.Print(resp.Status)
			resp.Body.Close()
		}()
	}
}

// fetchEach reads every URL, giving each request a deadline.
func fetchEach(ctx context.Context, urls []string) {
	for _, u := range urls {
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
		}()
	}
}

// pollBounded uses a client with a timeout.
func pollBounded(url string, tick <-chan time.Time) {
	client := &http.Client{Timeout: 10 * time.Second}
	for range tick {
		go func() {
			resp, err := client.Get(url)
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
}

// once makes one request in one goroutine: nothing piles up.
func once(url string) {
	go func() {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
		}
	}()
}

// sequential waits for each request before the next.
func sequential(urls []string) {
	for _, u := range urls {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
		}
	}
}

// withTransport's client may be bounded by its transport.
func withTransport(urls []string) {
	client := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: time.Second}}
	for _, u := range urls {
		go func() {
			resp, err := client.Get(u)
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
}

// given uses a client its caller configured.
func given(client *http.Client, urls []string) {
	for _, u := range urls {
		go func() {
			resp, err := client.Get(u)
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
}
