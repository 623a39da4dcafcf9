package schedule

import (
	"context"
	"errors"
	"io/fs"
	"strings"
)

// sysfsPower reads the power source from Linux's power-supply class,
// /sys/class/power_supply, one directory per supply with files such as
// type, online, scope and status.
type sysfsPower struct {
	fsys fs.FS
}

func (p sysfsPower) OnBattery(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return onBatterySysfs(p.fsys)
}

// onBatterySysfs decides from the supplies in fsys:
//
//   - any mains-like supply (type Mains, USB, USB_C, USB_PD, …; USB-C
//     chargers show as USB types) with online = 1: on mains;
//   - otherwise, when some mains-like supply reports online = 0 and a
//     system battery exists: on battery;
//   - otherwise (no charger is described): on battery when a system battery
//     reports status Discharging.
//
// Batteries with scope Device (a wireless mouse's) are not the computer's.
// A computer without supplies, such as most desktops and virtual machines,
// is on mains.
func onBatterySysfs(fsys fs.FS) (bool, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var mainsKnown, mainsOnline, battery, discharging bool
	for _, e := range entries {
		typ := readAttr(fsys, e.Name(), "type")
		switch {
		case typ == "Mains" || strings.HasPrefix(typ, "USB") || typ == "BrickID" || typ == "Wireless":
			switch readAttr(fsys, e.Name(), "online") {
			case "1":
				mainsKnown, mainsOnline = true, true
			case "0":
				mainsKnown = true
			}
		case typ == "Battery":
			if readAttr(fsys, e.Name(), "scope") == "Device" {
				continue
			}
			battery = true
			if readAttr(fsys, e.Name(), "status") == "Discharging" {
				discharging = true
			}
		}
	}
	switch {
	case mainsOnline:
		return false, nil
	case mainsKnown:
		return battery, nil
	default:
		return discharging, nil
	}
}

// readAttr returns the trimmed content of dir/name, or "".
func readAttr(fsys fs.FS, dir, name string) string {
	b, err := fs.ReadFile(fsys, dir+"/"+name)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
