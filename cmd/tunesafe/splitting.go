package main

import (
	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/split/music"
	"github.com/tunesafe/tunesafe/internal/split/oggsplit"
)

// configureSplitting installs the music-aware splitter.
func (a *app) configureSplitting(o *backup.Options) {
	o.Splitter = music.Splitter{}
	o.Rebuilders = rebuilders()
}

// rebuilders are the stored-stream layouts this program can restore.
func rebuilders() map[string]split.Rebuilder {
	return map[string]split.Rebuilder{oggsplit.Layout: oggsplit.Rebuilder{}}
}
