package fetch

import (
	"io"
	"math"
)

// readBody reads body to EOF, refusing more than max bytes: past the cap it
// returns the first max bytes and ErrBodyTooLarge. length is the declared
// Content-Length, or -1; a declared length past the cap fails at once.
func readBody(body io.Reader, length, max int64) ([]byte, error) {
	if length > max {
		return nil, ErrBodyTooLarge
	}
	// Reading one byte past the cap tells a body of exactly max bytes from
	// a longer one.
	lr := io.LimitedReader{R: body, N: max}
	if max < math.MaxInt64 {
		lr.N++
	}
	size := int64(512)
	if length >= 0 {
		size = length + 1 // room for the read that returns EOF
	}
	b := make([]byte, 0, size)
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
	if int64(len(b)) > max {
		return b[:max], ErrBodyTooLarge
	}
	return b, nil
}
