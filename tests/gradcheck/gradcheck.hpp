// The gradcheck harness: compares the tape's gradients with f64 central differences.
//
// A case names the op it covers, the shapes of its f64 inputs, and a function from inputs to an output Var. The
// harness draws the inputs (standard normal, or a domain transform such as "positive" for log and sqrt), draws a
// random cotangent c, and checks d/dx Σ(f(x) ⊙ c) from backward() against (L(x + eps) − L(x − eps)) / 2eps for every
// element of every input: eps 1e-6, |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|.
//
// Module rows (module_row, op "nn.<Name>") also check the gradients of the module's parameters.
// Rows live in one table per op family (tests/gradcheck/<family>_gradcheck.cpp) and are registered with
// ATTEND_GRADCHECK_CASES, so registry_test.cpp can check that every registered op has at least one row.
#pragma once

#include <functional>
#include <memory>
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
  /// Module rows: the f64 parameters `fn` uses besides its inputs; their gradients are checked the same way.
  std::function<std::vector<Var>()> parameters = nullptr;
};

/// A row for a module (op "nn.<Name>"): `make` builds it once, converted to f64; `fn` runs it on the inputs. Every
/// parameter of the module is checked as well as every input.
template <class M>
GradcheckCase module_row(std::string op, std::vector<Shape> shapes, std::function<std::shared_ptr<M>()> make,
                         std::function<Var(M&, const std::vector<Var>&)> fn, std::string label = "",
                         Domain domain = Domain::any) {
  auto holder = std::make_shared<std::shared_ptr<M>>();
  auto get = [holder, make]() -> M& {
    if (!*holder) {
      *holder = make();
      (*holder)->to(DType::f64);
    }
    return **holder;
  };
  GradcheckCase c{std::move(op), std::move(shapes), [get, fn](const std::vector<Var>& x) { return fn(get(), x); },
                  domain, std::move(label)};
  c.parameters = [get]() { return get().parameters(); };
  return c;
}

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
