package s3store

// Classify exposes classify to the tests, for errors that no test server
// can be made to produce (503 SlowDown, DNS failures).
var Classify = classify
