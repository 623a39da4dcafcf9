package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// A command's log on stderr reads like its other messages: one line per
// record, "tunesafe: warning: retrying PUT blobs/ab/… (attempt 2): dial
// tcp …: connection refused", not slog's key=value text. With --json the
// records are JSON lines instead (slog's JSON handler, with "type":
// "log"), so that stderr stays one JSON value a line among the progress
// events.

// lineHandler is the slog.Handler of the terminal form. The message comes
// first, then the record's "err" after a colon, then any other attributes
// as key=value in parentheses.
type lineHandler struct {
	w     io.Writer
	mu    *sync.Mutex
	level slog.Leveler
	// clear starts every line with the escape that erases a progress line
	// being redrawn in place (stderr is a terminal).
	clear  bool
	attrs  []slog.Attr // from WithAttrs, keys prefixed with their groups
	prefix string      // of attribute keys, from WithGroup
}

func newLineHandler(w io.Writer, level slog.Leveler, clear bool) *lineHandler {
	return &lineHandler{w: w, mu: new(sync.Mutex), level: level, clear: clear}
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b bytes.Buffer
	if h.clear {
		b.WriteString("\r\033[K")
	}
	b.WriteString("tunesafe: ")
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString("error: ")
	case r.Level >= slog.LevelWarn:
		b.WriteString("warning: ")
	case r.Level < slog.LevelInfo:
		b.WriteString("debug: ")
	}
	b.WriteString(oneLine(r.Message))
	var errText string
	var rest []string
	add := func(a slog.Attr) {
		a.Value = a.Value.Resolve()
		if a.Equal(slog.Attr{}) {
			return
		}
		if a.Key == "err" {
			errText = oneLine(valueText(a.Value))
			return
		}
		rest = append(rest, a.Key+"="+quoteIfNeeded(oneLine(valueText(a.Value))))
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(func(a slog.Attr) bool {
		a.Key = h.prefix + a.Key
		add(a)
		return true
	})
	if errText != "" {
		b.WriteString(": ")
		b.WriteString(errText)
	}
	if len(rest) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(rest, ", "))
		b.WriteString(")")
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(b.Bytes())
	return err
}

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		a.Key = h.prefix + a.Key
		c.attrs = append(c.attrs, a)
	}
	return &c
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

// valueText is a value as a person reads it: an error's message, a
// group's members as key=value.
func valueText(v slog.Value) string {
	switch v.Kind() {
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return err.Error()
		}
	case slog.KindGroup:
		var parts []string
		for _, a := range v.Group() {
			parts = append(parts, a.Key+"="+valueText(a.Value.Resolve()))
		}
		return strings.Join(parts, " ")
	}
	return v.String()
}

// oneLine keeps a record on one line whatever a message or an error
// carries (a server's multi-line reply).
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " ,()=\"") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// jsonLogHandler returns slog's JSON handler with "type": "log" on every
// record, telling log lines from progress events on stderr.
func jsonLogHandler(w io.Writer, level slog.Leveler) slog.Handler {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return h.WithAttrs([]slog.Attr{slog.String("type", "log")})
}

// jsonLines is the app's stderr with --json: every line on it is one JSON
// object (README), whoever writes it. Lines that already are (log records,
// progress events) pass as they are; a command's "tunesafe: warning: …"
// line becomes {"type":"warning","message":"…"} and any other line, such
// as "tunesafe: backup completed with 2 warnings", {"type":"message",
// "message":"…"}. Writes are whole lines in order, from any goroutine.
type jsonLines struct {
	mu      sync.Mutex
	w       io.Writer
	partial []byte // the start of a line not yet ended
}

func newJSONLines(w io.Writer) *jsonLines { return &jsonLines{w: w} }

func (j *jsonLines) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.partial = append(j.partial, p...)
	var out []byte
	for {
		i := bytes.IndexByte(j.partial, '\n')
		if i < 0 {
			break
		}
		out = appendJSONLine(out, j.partial[:i])
		j.partial = j.partial[i+1:]
	}
	if len(j.partial) == 0 {
		j.partial = nil
	}
	if len(out) > 0 {
		if _, err := j.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes out a line left without its newline.
func (j *jsonLines) Flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := appendJSONLine(nil, j.partial)
	j.partial = nil
	if len(out) == 0 {
		return nil
	}
	_, err := j.w.Write(out)
	return err
}

// appendJSONLine appends line, as one JSON object and a newline, to out.
func appendJSONLine(out, line []byte) []byte {
	line = bytes.TrimPrefix(line, []byte("\r\033[K")) // a progress line's erasure
	line = bytes.TrimRight(line, "\r")
	if len(bytes.TrimSpace(line)) == 0 {
		return out
	}
	if line[0] == '{' && json.Valid(line) {
		return append(append(out, line...), '\n')
	}
	typ, msg := "message", strings.TrimPrefix(string(line), "tunesafe: ")
	if rest, ok := strings.CutPrefix(msg, "warning: "); ok {
		typ, msg = "warning", rest
	}
	// Unescaped <, > and &, as people wrote them: "a -> b".
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}{typ, msg})
	return append(out, b.Bytes()...) // Encode ends it with a newline
}
