// Every differentiable op registered by the library must have at least one gradcheck row; rows name registered ops
// or modules ("nn.<Name>").
#include <gtest/gtest.h>

#include <set>

#include "attend/ops/registry.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

TEST(GradcheckRegistry, EveryRegisteredOpHasARow) {
  std::set<std::string> covered;
  for (const auto& c : gradcheck_cases()) covered.insert(c.op);
  const auto ops = differentiable_ops();
  EXPECT_FALSE(ops.empty());
  for (const std::string& op : ops) EXPECT_TRUE(covered.count(op)) << "op '" << op << "' has no gradcheck row";
}

TEST(GradcheckRegistry, EveryRowNamesARegisteredOp) {
  const auto ops = differentiable_ops();
  const std::set<std::string> known(ops.begin(), ops.end());
  for (const auto& c : gradcheck_cases()) {
    if (c.op.starts_with("nn.")) continue;  // a module row (module_row), not an op
    EXPECT_TRUE(known.count(c.op)) << "row for unknown op '" << c.op << "'";
  }
}

}  // namespace
}  // namespace attend::testing
