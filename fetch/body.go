package fetch

import (
	"fmt"
	"io"
	"math"
	"net/http"
)

// minRead is the first size of a body's buffer, as bytes.Buffer and
// io.ReadAll start.
const minRead = 512

// readBody reads body to EOF, refusing more than max bytes: past the cap it
// returns the first max bytes and ErrBodyTooLarge. length is the declared
// Content-Length, or -1; a declared length past the cap fails at once.
//
// The buffer grows with the bytes that arrive, doubling up to the cap, and
// is never sized from length: a server may announce an exabyte and send
// three bytes, or announce a gigabyte and then stall, and either would make
// every slot allocate what was promised.
func readBody(body io.Reader, length, max int64) ([]byte, error) {
	if length > max {
		return nil, ErrBodyTooLarge
	}
	// Room for one byte past the cap tells a body of exactly max bytes from
	// a longer one. A cap that no slice can reach is no cap at all.
	limit := int(min(max, math.MaxInt-1)) + 1
	b := make([]byte, 0, min(minRead, limit))
	for {
		if len(b) == cap(b) {
			if len(b) == limit {
				return b[:len(b)-1], ErrBodyTooLarge
			}
			grown := limit
			if cap(b) < limit/2 {
				grown = 2 * cap(b)
			}
			b = append(make([]byte, 0, grown), b...)
		}
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// bodyless reports whether a response to method with status has no body,
// whatever its Content-Length says (RFC 9110, section 6.4.1): net/http
// reports the length a HEAD response announces, and reading it would
// allocate for a body that never comes.
func bodyless(method string, status int) bool {
	return method == http.MethodHead || status < 200 || status == http.StatusNoContent || status == http.StatusNotModified
}

// streamBody is the body DoFunc's func reads. A read that fails because
// Close cancelled the attempt says so: the transport reports only that the
// attempt's context was cancelled.
type streamBody struct {
	io.ReadCloser
	c *Client
}

func (b *streamBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.c.life.Err() != nil {
		err = fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return n, err
}
