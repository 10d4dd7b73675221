#include "gradcheck.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/reduce.hpp"

namespace attend::testing {

std::vector<GradcheckCase>& gradcheck_cases() {
  static std::vector<GradcheckCase> cases;
  return cases;
}

GradcheckRegistrar::GradcheckRegistrar(std::vector<GradcheckCase> cases) {
  for (auto& c : cases) gradcheck_cases().push_back(std::move(c));
}

namespace {

constexpr double kEps = 1e-6, kAtol = 1e-5, kRtol = 1e-3;

Tensor draw(const Shape& shape, Domain domain, Rng& rng) {
  Tensor x = Tensor::randn(shape, rng, DType::f64);
  double* p = x.data<double>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (domain == Domain::positive) p[i] = 0.5 + std::abs(p[i]);
    if (domain == Domain::away_from_zero) p[i] = (p[i] < 0 ? -0.3 : 0.3) + p[i];
  }
  return x;
}

// L(x) = Σ f(x) ⊙ c, evaluated without recording.
double loss_of(const GradcheckCase& c, const std::vector<Var>& inputs, const Tensor& cot) {
  NoGradGuard guard;
  const Var out = c.fn(inputs);
  return sum(out.value() * cot).item<double>();
}

}  // namespace

std::string run_gradcheck(const GradcheckCase& c, uint64_t seed) {
  Rng rng(seed);
  std::vector<Var> inputs;
  for (const Shape& s : c.shapes) inputs.emplace_back(draw(s, c.domain, rng), true);
  std::vector<Var> checked = inputs;
  if (c.parameters) {
    for (const Var& p : c.parameters()) {
      if (p.value().dtype() != DType::f64) return "a module parameter is not f64";
      p.zero_grad();
      checked.push_back(p);
    }
  }
  const Var out = c.fn(inputs);
  if (out.dtype() != DType::f64) return fmt::format("output is {}, expected f64", dtype_name(out.dtype()));
  const Tensor cot = Tensor::randn(out.shape(), rng, DType::f64);
  if (!out.requires_grad()) return "output does not require grad: the op recorded nothing";
  out.backward(cot);

  std::string worst;
  double worst_excess = 0.0;
  for (size_t k = 0; k < checked.size(); ++k) {
    const Tensor& x = checked[k].value();
    const Tensor analytic = checked[k].grad().defined() ? checked[k].grad() : Tensor::zeros(x.shape(), DType::f64);
    if (!x.is_contiguous()) return fmt::format("input {} is not contiguous", k);
    if (analytic.shape() != x.shape()) return fmt::format("input {}: gradient shape {} != {}", k,
                                                          shape_str(analytic.shape()), shape_str(x.shape()));
    const std::vector<double> a = analytic.to_vector<double>();
    double* p = x.data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double saved = p[i];
      p[i] = saved + kEps;
      const double up = loss_of(c, inputs, cot);
      p[i] = saved - kEps;
      const double down = loss_of(c, inputs, cot);
      p[i] = saved;
      const double numeric = (up - down) / (2 * kEps);
      const double excess = std::abs(a[i] - numeric) - (kAtol + kRtol * std::abs(numeric));
      if (!(excess <= 0) && (worst.empty() || excess > worst_excess || std::isnan(excess))) {
        worst_excess = excess;
        worst = fmt::format("{} {} element {}: analytic {:.8g}, numeric {:.8g}", k < inputs.size() ? "input" : "parameter",
                            k < inputs.size() ? k : k - inputs.size(), i, a[i], numeric);
      }
    }
  }
  return worst;
}

namespace {

std::string case_name(const GradcheckCase& c, size_t index) {
  std::string name = c.op + (c.label.empty() ? "" : "_" + c.label) + "_" + std::to_string(index);
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

class GradcheckTest : public ::testing::Test {
 public:
  explicit GradcheckTest(size_t index) : index_(index) {}
  void TestBody() override {
    const GradcheckCase& c = gradcheck_cases()[index_];
    const std::string failure = run_gradcheck(c);
    EXPECT_TRUE(failure.empty()) << c.op << " " << c.label << ": " << failure;
  }

 private:
  size_t index_;
};

}  // namespace

void register_gradcheck_tests() {
  const auto& cases = gradcheck_cases();
  for (size_t i = 0; i < cases.size(); ++i) {
    ::testing::RegisterTest("Gradcheck", case_name(cases[i], i).c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [i]() -> ::testing::Test* { return new GradcheckTest(i); });
  }
}

}  // namespace attend::testing
