module example.com/usermod

go 1.26.0

require github.com/leakproof/leakproof v0.0.0-00010101000000-000000000000

require go.uber.org/goleak v1.3.0 // indirect

replace github.com/leakproof/leakproof => ../../..
