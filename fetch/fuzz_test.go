package fetch_test

import (
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/leakproof/leakproof/fetch"
)

// FuzzParseRetryAfter: whatever a server sends, parseRetryAfter does not
// panic, never reports a negative wait, reads a run of digits as that many
// seconds or, past what a Duration holds, as the longest Duration, and
// reads nothing else that is not an HTTP date. The seeds run with go test.
func FuzzParseRetryAfter(f *testing.F) {
	for _, v := range []string{
		"", "0", "7", " 120 ", "-1", "+3", "3.5", "1e3", "soon",
		"9223372036", "9223372037", "99999999999999999999", "-99999999999999999999",
		strings.Repeat("9", 1000), "00000000000000000000000000000001",
		"Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
	} {
		f.Add(v, int64(1767225600))
	}
	f.Add("Fri, 31 Dec 9999 23:59:59 GMT", int64(math.MinInt64))
	f.Add("Mon, 01 Jan 0001 00:00:00 GMT", int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, v string, nowUnix int64) {
		now := time.Unix(nowUnix, 0)
		d, ok := fetch.ParseRetryAfter(v, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %v, %v", v, d, ok)
		}
		s := strings.TrimSpace(v)
		if s == "" || strings.Trim(s, "0123456789") != "" {
			return
		}
		secs, _ := new(big.Int).SetString(s, 10)
		want := time.Duration(math.MaxInt64)
		if ns := secs.Mul(secs, big.NewInt(int64(time.Second))); ns.IsInt64() && ns.Int64() <= math.MaxInt64/int64(time.Second)*int64(time.Second) {
			want = time.Duration(ns.Int64())
		}
		if !ok || d != want {
			t.Fatalf("parseRetryAfter(%q) = %v, %v, want %v, true", v, d, ok, want)
		}
	})
}

// FuzzBackoff: for every base and max WithBackoff accepts and every retry,
// the ceiling is min(max, base·2^(n-1)) computed without overflow, and the
// jittered wait lies in [0, ceiling]. The seeds, the extremes among them,
// run with go test.
func FuzzBackoff(f *testing.F) {
	for _, seed := range []struct {
		base, max int64
		n         int
	}{
		{1, 1, 1},
		{1, math.MaxInt64, 1},
		{1, math.MaxInt64, 63},
		{1, math.MaxInt64, 64},
		{1, math.MaxInt64, math.MaxInt},
		{math.MaxInt64, math.MaxInt64, 1},
		{math.MaxInt64, math.MaxInt64, math.MaxInt},
		{math.MaxInt64/2 + 1, math.MaxInt64, 2},
		{math.MaxInt64 / 4, math.MaxInt64, 3},
		{int64(100 * time.Millisecond), int64(10 * time.Second), 8},
	} {
		f.Add(seed.base, seed.max, seed.n)
	}
	f.Fuzz(func(t *testing.T, base, max int64, n int) {
		if base <= 0 || max < base || n < 1 {
			return // WithBackoff refuses these; retries count from 1
		}
		fetch.WithBackoff(time.Duration(base), time.Duration(max)) // accepted
		ceil := fetch.BackoffCeil(time.Duration(base), time.Duration(max), n)
		want := big.NewInt(base)
		want.Lsh(want, uint(min(n-1, 64)))
		if want.Cmp(big.NewInt(max)) > 0 {
			want.SetInt64(max)
		}
		if int64(ceil) != want.Int64() {
			t.Fatalf("backoffCeil(%d, %d, %d) = %d, want %v", base, max, n, ceil, want)
		}
		if d := fetch.Jitter(ceil); d < 0 || d > ceil {
			t.Fatalf("jitter(%d) = %d, outside [0, %d]", ceil, d, ceil)
		}
	})
}
