//go:build !linux

package core

import "time"

// trainTimer cannot measure thread CPU time here; stop returns 0.
type trainTimer struct{}

func startTrainTimer() *trainTimer        { return &trainTimer{} }
func (t *trainTimer) stop() time.Duration { return 0 }
