// RETURN_IF_ERROR / ASSIGN_OR_RETURN: the one place these are defined.
#ifndef RELAYGUARD_COMMON_STATUS_MACROS_H_
#define RELAYGUARD_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RG_CONCAT_INNER_(a, b) a##b
#define RG_CONCAT_(a, b) RG_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status rg_status_ = (expr);                \
    if (!rg_status_.ok()) return rg_status_;           \
  } while (0)

#define RG_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  RG_ASSIGN_OR_RETURN_IMPL_(RG_CONCAT_(rg_statusor_, __LINE__), lhs, expr)

#endif  // RELAYGUARD_COMMON_STATUS_MACROS_H_
