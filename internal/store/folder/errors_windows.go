package folder

import "syscall"

// diskFull are the Windows errors of a full disk (ERROR_HANDLE_DISK_FULL,
// ERROR_DISK_FULL) and an exhausted quota (ERROR_DISK_QUOTA_EXCEEDED).
var diskFull = []syscall.Errno{39, 112, 1295}
