package schedule

import (
	"fmt"
	"time"
)

// decodePowerStatus reads the ACLineStatus and BatteryFlag fields of
// Windows' SYSTEM_POWER_STATUS: ACLineStatus 0 is battery, 1 mains, 255
// unknown; BatteryFlag 128 means there is no system battery.
func decodePowerStatus(acLine, batteryFlag byte) (bool, error) {
	switch {
	case acLine == 0:
		return true, nil
	case acLine == 1:
		return false, nil
	case batteryFlag == 128:
		return false, nil
	}
	return false, fmt.Errorf("power source %w (ACLineStatus %d)", ErrUnknown, acLine)
}

// idleFromTicks returns the time since lastInput, both GetTickCount
// milliseconds, which wrap every 49.7 days; unsigned subtraction gets the
// right answer across one wrap.
func idleFromTicks(now, lastInput uint32) time.Duration {
	return time.Duration(now-lastInput) * time.Millisecond
}
