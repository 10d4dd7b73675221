// The gradcheck harness: compares the tape's gradients with f64 central differences.
//
// A case names the op it covers, the shapes of its f64 inputs, and a function from inputs to an output Var. The
// harness draws the inputs (standard normal, or a domain transform such as "positive" for log and sqrt), draws a
// random cotangent c, and checks d/dx Σ(f(x) ⊙ c) from backward() against (L(x + eps) − L(x − eps)) / 2eps for every
// element of every input: eps 1e-6, |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|.
//
// Rows live in one table per op family (tests/gradcheck/<family>_gradcheck.cpp) and are registered with
// ATTEND_GRADCHECK_CASES, so registry_test.cpp can check that every registered op has at least one row.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "attend/autograd/var.hpp"

namespace attend::testing {

enum class Domain { any, positive, away_from_zero };

struct GradcheckCase {
  std::string op;                                       // registered op name this row covers
  std::vector<Shape> shapes;                            // one f64 input per shape, all requiring grad
  std::function<Var(const std::vector<Var>&)> fn;       // the function under test
  Domain domain = Domain::any;                          // how inputs are drawn
  std::string label = "";                               // distinguishes several rows of one op
};

/// Runs one case; returns "" on success, otherwise a description of the worst mismatch.
std::string run_gradcheck(const GradcheckCase& c, uint64_t seed = 7);

/// Global list of registered cases (filled by ATTEND_GRADCHECK_CASES at static-initialisation time).
std::vector<GradcheckCase>& gradcheck_cases();

/// Adds one gtest per registered row (called by the gradcheck main before RUN_ALL_TESTS).
void register_gradcheck_tests();

struct GradcheckRegistrar {
  GradcheckRegistrar(std::vector<GradcheckCase> cases);
};

}  // namespace attend::testing

#define ATTEND_GRADCHECK_CONCAT_INNER(a, b) a##b
#define ATTEND_GRADCHECK_CONCAT(a, b) ATTEND_GRADCHECK_CONCAT_INNER(a, b)
/// ATTEND_GRADCHECK_CASES({ {"tanh", {{3, 4}}, [](auto& x) { return tanh(x[0]); }}, ... });
#define ATTEND_GRADCHECK_CASES(...)                                                              \
  static const ::attend::testing::GradcheckRegistrar ATTEND_GRADCHECK_CONCAT(gradcheck_rows_, \
                                                                             __LINE__)(__VA_ARGS__)
