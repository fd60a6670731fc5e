// When compliance checks run and when they may change a host: a cron schedule in a time zone
// (cron.h), a per-host splay (splay.h), and maintenance windows (window.h). One include for the
// code that uses all three (the policy loader, the compliance scheduler).
#ifndef RELAYGUARD_COMMON_SCHEDULE_H_
#define RELAYGUARD_COMMON_SCHEDULE_H_

#include "common/cron.h"
#include "common/splay.h"
#include "common/window.h"

#endif  // RELAYGUARD_COMMON_SCHEDULE_H_
