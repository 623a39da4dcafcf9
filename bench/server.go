package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// s3Server is a loopback S3 server the benchmark started.
type s3Server struct {
	Name      string // "minio" or "versitygw"
	Addr      string // host:port on 127.0.0.1
	AccessKey string
	SecretKey string
	stop      func() error
}

// region is what every tool is told; loopback servers accept any.
const region = "us-east-1"

// Close stops the server and removes its data.
func (s *s3Server) Close() error {
	if s.stop == nil {
		return nil
	}
	err := s.stop()
	s.stop = nil
	return err
}

// makeBucket creates a bucket directly on the server, bypassing the relay
// so that it is not counted against any tool.
func (s *s3Server) makeBucket(ctx context.Context, name string) error {
	c, err := s.client()
	if err != nil {
		return err
	}
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: region}); err != nil {
		return fmt.Errorf("create bucket %s on %s: %w", name, s.Name, err)
	}
	return nil
}

// removeBucket deletes a bucket and everything in it, directly on the
// server.
func (s *s3Server) removeBucket(ctx context.Context, name string) error {
	c, err := s.client()
	if err != nil {
		return err
	}
	objects := c.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true})
	for e := range c.RemoveObjects(ctx, name, objects, minio.RemoveObjectsOptions{}) {
		if e.Err != nil {
			return fmt.Errorf("delete %s: %w", e.ObjectName, e.Err)
		}
	}
	return c.RemoveBucket(ctx, name)
}

// client talks to the server directly, not through the relay.
func (s *s3Server) client() (*minio.Client, error) {
	return minio.New(s.Addr, &minio.Options{
		Creds:        credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Region:       region,
		BucketLookup: minio.BucketLookupPath,
	})
}

// startServer starts the S3 server that -server names, with its data under
// dir.
func startServer(ctx context.Context, kind, moduleRoot, dir string) (*s3Server, error) {
	switch kind {
	case "minio":
		return startMinIO(ctx, moduleRoot, dir)
	case "versitygw":
		return startGateway(ctx, dir)
	}
	return nil, fmt.Errorf("unknown server %q", kind)
}

// bucketName returns a valid bucket name for a tool's repository.
func bucketName(toolID, repo string) string {
	return strings.ToLower("bench-" + toolID + "-" + repo)
}
