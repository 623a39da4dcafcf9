package schedule

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// darwinIdle reads the HID system's idle time, which macOS keeps for every
// session, from `ioreg -c IOHIDSystem`.
type darwinIdle struct{ run runFunc }

func (d darwinIdle) IdleTime(ctx context.Context) (time.Duration, error) {
	out, err := d.run(ctx, "ioreg", "-c", "IOHIDSystem")
	if err != nil {
		return 0, fmt.Errorf("idle time %w: %w", ErrUnknown, err)
	}
	return parseIoreg(out)
}

// parseIoreg finds the first `"HIDIdleTime" = N` property in ioreg's
// output; N is in nanoseconds.
func parseIoreg(out []byte) (time.Duration, error) {
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, `"HIDIdleTime"`)
		if i < 0 {
			continue
		}
		_, v, ok := strings.Cut(line[i:], "=")
		if !ok {
			continue
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || ns < 0 {
			return 0, fmt.Errorf("idle time %w: HIDIdleTime is %q, want nanoseconds", ErrUnknown, strings.TrimSpace(v))
		}
		return time.Duration(ns), nil
	}
	return 0, fmt.Errorf("idle time %w: no HIDIdleTime in ioreg's output", ErrUnknown)
}

// darwinPower reads the power source from `pmset -g batt`.
type darwinPower struct{ run runFunc }

func (d darwinPower) OnBattery(ctx context.Context) (bool, error) {
	out, err := d.run(ctx, "pmset", "-g", "batt")
	if err != nil {
		return false, fmt.Errorf("power source %w: %w", ErrUnknown, err)
	}
	return parsePmset(out)
}

// parsePmset reads the first line of `pmset -g batt`, "Now drawing from
// 'AC Power'" (or 'Battery Power', or 'UPS Power' when a UPS reports that
// the mains failed, which counts as battery).
func parsePmset(out []byte) (bool, error) {
	line, _, _ := strings.Cut(string(out), "\n")
	_, src, ok := strings.Cut(line, "drawing from '")
	src, _, ok2 := strings.Cut(src, "'")
	if !ok || !ok2 {
		return false, fmt.Errorf("power source %w: pmset printed %q", ErrUnknown, strings.TrimSpace(line))
	}
	switch src {
	case "AC Power":
		return false, nil
	case "Battery Power", "UPS Power":
		return true, nil
	}
	return false, fmt.Errorf("power source %w: %q", ErrUnknown, src)
}
