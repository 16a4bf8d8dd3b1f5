package leaktest

// VerifyAll is VerifyTestMain's check, for tests that cannot give it a
// testing.M of their own.
var VerifyAll = verifyAll
