module github.com/leakproof/leakproof

go 1.26.0

require (
	go.uber.org/goleak v1.3.0
	golang.org/x/sync v0.25.0
)

require (
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/tools v0.52.0
)
