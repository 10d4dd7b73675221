// The list of differentiable ops, so that a test can insist every one of them has a gradcheck row.
//
// Each op family's .cpp registers its ops next to their definitions:
//   ATTEND_REGISTER_OP("tanh");
// tests/gradcheck/registry_test.cpp fails when a registered op has no row in the gradcheck tables.
#pragma once

#include <string>
#include <vector>

namespace attend {

/// Every registered op name, sorted, each once.
std::vector<std::string> differentiable_ops();

struct OpRegistrar {
  explicit OpRegistrar(const char* name);
};

}  // namespace attend

#define ATTEND_OP_CONCAT_INNER(a, b) a##b
#define ATTEND_OP_CONCAT(a, b) ATTEND_OP_CONCAT_INNER(a, b)
#define ATTEND_REGISTER_OP(name) \
  static const ::attend::OpRegistrar ATTEND_OP_CONCAT(attend_registered_op_, __LINE__) { name }
