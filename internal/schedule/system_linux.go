package schedule

import "os"

// SystemIdle returns the Idle of this system: systemd-logind and, under X,
// xprintidle (see linuxIdle in logind.go).
func SystemIdle() Idle { return newLinuxIdle() }

// SystemPower returns the Power of this system, read from
// /sys/class/power_supply.
func SystemPower() Power { return sysfsPower{os.DirFS("/sys/class/power_supply")} }
