package memstore_test

import (
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return new(memstore.Store) })
}

func TestZeroValue(t *testing.T) {
	var s memstore.Store
	if _, err := s.Stat(t.Context(), "k"); err == nil {
		t.Fatal("Stat on an empty zero Store succeeded")
	}
	for range s.List(t.Context(), "") {
		t.Fatal("List on an empty zero Store yielded something")
	}
	if err := s.Delete(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
}
