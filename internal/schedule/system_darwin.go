package schedule

// SystemIdle returns the Idle of this system, from ioreg.
func SystemIdle() Idle { return darwinIdle{runCommand} }

// SystemPower returns the Power of this system, from pmset.
func SystemPower() Power { return darwinPower{runCommand} }
