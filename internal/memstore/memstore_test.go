package memstore_test

import (
	"testing"

	"github.com/dltune/dltune/internal/memstore"
	"github.com/dltune/dltune/store/storetest"
	"github.com/dltune/dltune/study"
)

// Every store of dltune keeps weights.
var _ study.WeightStore = (*memstore.Mem)(nil)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) study.Store { return memstore.New() })
}
