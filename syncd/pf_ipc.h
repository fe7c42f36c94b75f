/*
 * pf_ipc.h -- common/ipc.h, or syncd's copy of it until it lands on main.
 */
#ifndef PF_SYNCD_PF_IPC_H
#define PF_SYNCD_PF_IPC_H

#if __has_include("common/ipc.h")
#include "common/ipc.h"
#else
#include "syncd/compat/ipc.h"
#endif

#endif /* PF_SYNCD_PF_IPC_H */
