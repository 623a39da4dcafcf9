package main

import (
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile to --cpuprofile until stopProfile.
func (a *app) startProfile() error {
	f, err := os.Create(a.cpuProfile)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	a.profile = f
	return nil
}

func (a *app) stopProfile() {
	if a.profile != nil {
		pprof.StopCPUProfile()
		a.profile.Close()
		a.profile = nil
	}
}
