package memstore_test

import (
	"testing"

	"github.com/dltune/dltune/internal/memstore"
	"github.com/dltune/dltune/store/storetest"
	"github.com/dltune/dltune/study"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) study.Store { return memstore.New() })
}
