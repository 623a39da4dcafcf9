package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

// openS3 builds the S3 store for s3://bucket/prefix with the AWS
// conventions (environment, profiles, endpoint variables, CA bundle) and
// checks once that the bucket answers.
func (a *app) openS3(ctx context.Context, u *url.URL) (store.Store, error) {
	cfg, err := s3store.ConfigFromEnv(u, a.endpoint)
	if err != nil {
		return nil, err
	}
	return a.connectS3(ctx, u, cfg)
}

// connectS3 makes the store of cfg with this computer's transport settings
// and checks once that the bucket of u answers.
func (a *app) connectS3(ctx context.Context, u *url.URL, cfg s3store.Config) (store.Store, error) {
	a.configureTransport(&cfg)
	s, err := s3store.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p := a.retryPolicy()
	p.MaxElapsed = min(p.MaxElapsed, openRetryFor)
	if err := p.Do(ctx, "check bucket", cfg.Bucket, func() error { return s.CheckBucket(ctx) }); err != nil {
		return nil, fmt.Errorf("%s: %w", u.Redacted(), err)
	}
	return s, nil
}
