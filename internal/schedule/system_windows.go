package schedule

import (
	"context"
	"fmt"
	"syscall"
	"time"
	"unsafe"
)

var (
	user32                   = syscall.NewLazyDLL("user32.dll")
	kernel32                 = syscall.NewLazyDLL("kernel32.dll")
	procGetLastInputInfo     = user32.NewProc("GetLastInputInfo")
	procGetTickCount         = kernel32.NewProc("GetTickCount")
	procProcessIdToSessionId = kernel32.NewProc("ProcessIdToSessionId")
	procGetSystemPowerStatus = kernel32.NewProc("GetSystemPowerStatus")
)

// SystemIdle returns the Idle of this system, from GetLastInputInfo. It
// sees the input of its own session only: an agent installed as a service
// runs in session 0, where there is none, and gets ErrUnknown; run the agent
// in the user's session (for example as a task started at logon) to use
// idle windows.
func SystemIdle() Idle { return windowsIdle{} }

// SystemPower returns the Power of this system, from GetSystemPowerStatus.
func SystemPower() Power { return windowsPower{} }

type windowsIdle struct{}

// lastInputInfo is LASTINPUTINFO.
type lastInputInfo struct {
	cbSize uint32
	dwTime uint32
}

func (windowsIdle) IdleTime(ctx context.Context) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var session uint32
	if r, _, _ := procProcessIdToSessionId.Call(uintptr(syscall.Getpid()), uintptr(unsafe.Pointer(&session))); r != 0 && session == 0 {
		return 0, fmt.Errorf("idle time %w: running in session 0 (as a service), which sees no user input", ErrUnknown)
	}
	info := lastInputInfo{cbSize: uint32(unsafe.Sizeof(lastInputInfo{}))}
	if r, _, err := procGetLastInputInfo.Call(uintptr(unsafe.Pointer(&info))); r == 0 {
		return 0, fmt.Errorf("idle time %w: GetLastInputInfo: %v", ErrUnknown, err)
	}
	now, _, _ := procGetTickCount.Call()
	return idleFromTicks(uint32(now), info.dwTime), nil
}

type windowsPower struct{}

// systemPowerStatus is SYSTEM_POWER_STATUS.
type systemPowerStatus struct {
	ACLineStatus        byte
	BatteryFlag         byte
	BatteryLifePercent  byte
	SystemStatusFlag    byte
	BatteryLifeTime     uint32
	BatteryFullLifeTime uint32
}

func (windowsPower) OnBattery(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var st systemPowerStatus
	if r, _, err := procGetSystemPowerStatus.Call(uintptr(unsafe.Pointer(&st))); r == 0 {
		return false, fmt.Errorf("power source %w: GetSystemPowerStatus: %v", ErrUnknown, err)
	}
	return decodePowerStatus(st.ACLineStatus, st.BatteryFlag)
}
