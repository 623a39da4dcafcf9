//go:build !windows

package folder

import "syscall"

// diskFull are the errnos of a full disk or an exhausted quota.
var diskFull = []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT}
