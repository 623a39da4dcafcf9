package bwlimit

import (
	"bytes"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/store/storetest"
)

func TestStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		// Fast limits: the suite checks the contract, not the rate.
		return Store(new(memstore.Store), New(1<<30), New(1<<30))
	})
}

func TestStoreLimits(t *testing.T) {
	up, upSlept := fakeLimiter(36_000)
	down, downSlept := fakeLimiter(36_000)
	s := Store(new(memstore.Store), up, down)
	data := bytes.Repeat([]byte("x"), 100_000)
	if err := s.Put(t.Context(), "k", data); err != nil {
		t.Fatal(err)
	}
	want := seconds(float64(100_000-16<<10) / 36_000)
	if !near(upSlept(), want) {
		t.Errorf("Put of 100 kB at 36 kB/s waited %v, want %v", upSlept(), want)
	}
	got, err := store.ReadAll(t.Context(), s, "k")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get: %d bytes, %v", len(got), err)
	}
	if !near(downSlept(), want) {
		t.Errorf("Get of 100 kB at 36 kB/s waited %v, want %v", downSlept(), want)
	}
	if _, err := s.Stat(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	if upSlept() > want+time.Second || downSlept() > want+time.Second {
		t.Error("Stat was limited")
	}
	u, ok := s.(interface{ Unwrap() store.Store })
	if !ok || u.Unwrap() == nil {
		t.Error("no Unwrap")
	}
}
